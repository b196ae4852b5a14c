/**
 * Secrets are named in runbooks and configuration, and resolved only here, inside activities:
 * from the environment (`RUNBOOK_SECRET_<NAME>`, upper-cased, dashes as underscores) or from a
 * file `<secretsDir>/<name>` (Kubernetes and Docker secrets mount that way). Never in history.
 */
import { FAILURE } from '../shared/failures';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { permanent } from './errors';

export interface SecretResolver {
  resolve(name: string): Promise<string>;
}

export function envVarFor(name: string): string {
  return `RUNBOOK_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function createSecretResolver(opts: { env: NodeJS.ProcessEnv; dir?: string }): SecretResolver {
  return {
    async resolve(name) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
        throw permanent(`invalid secret name '${name}'`, FAILURE.InvalidInput);
      const fromEnv = opts.env[envVarFor(name)];
      if (fromEnv !== undefined) return fromEnv;
      if (opts.dir) {
        try {
          return (await readFile(join(opts.dir, name), 'utf8')).trim();
        } catch {
          // fall through to the error naming both places
        }
      }
      throw permanent(
        `secret '${name}' is not configured: set ${envVarFor(name)}${opts.dir ? ` or create ${join(opts.dir, name)}` : ''}`,
        FAILURE.MissingSecret,
      );
    },
  };
}

/** Builds request headers from plain ones plus named secrets. */
export async function buildHeaders(
  secrets: SecretResolver,
  plain: Record<string, string> | undefined,
  named: Record<string, { secret: string; prefix?: string | undefined }> | undefined,
): Promise<Record<string, string>> {
  const out: Record<string, string> = { ...(plain ?? {}) };
  for (const [header, ref] of Object.entries(named ?? {}))
    out[header] = `${ref.prefix ?? ''}${await secrets.resolve(ref.secret)}`;
  return out;
}
