/**
 * The workflow code a worker runs, with the signing keys put into its sandbox: workflows verify
 * what the API signed themselves (src/workflows/kit/trust.ts), deterministically, and the keys
 * live only in this process's memory (never in a bundle file, an argument or history).
 */
import { readFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { SigningKeys } from '../shared/signed';
import { workflowBundleOptions } from './bundle-options';
import { workflowCodeOptions } from './bundle';

/** The same symbol as the kit's SIGNING_KEYS_GLOBAL (workflow code cannot be imported here). */
const GLOBAL = "Symbol.for('durable-runbooks.signing-keys')";

/** The bundle's code, its first statement leaving the keys (kid -> base64url) in the sandbox. */
export function withSigningKeys(code: string, keys: SigningKeys): string {
  const table = Object.fromEntries([...keys.keys].map(([kid, key]) => [kid, Buffer.from(key).toString('base64url')]));
  const value = JSON.stringify({ activeKid: keys.activeKid, keys: table });
  // On the bundle's first line, so its source map still points at the right lines.
  return `globalThis[${GLOBAL}]=Object.freeze(JSON.parse(${JSON.stringify(value)}));${code}`;
}

/** The worker's workflow code (the prebuilt bundle, or one built now) with the keys in it. */
export async function workflowCodeWithKeys(
  keys: SigningKeys,
  code?: { workflowBundle: { code: string } },
): Promise<{ workflowBundle: { code: string } }> {
  let text: string;
  if (code) text = code.workflowBundle.code;
  else {
    const o = workflowCodeOptions();
    text =
      'workflowBundle' in o
        ? await readFile(o.workflowBundle.codePath, 'utf8')
        : (await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quiet })).code;
  }
  return { workflowBundle: { code: withSigningKeys(text, keys) } };
}

const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };
