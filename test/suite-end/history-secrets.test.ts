/**
 * The suite's last word on secrets: once every other test file is done (test/support/sequencer.js
 * runs this file last; each file marks itself done), every workflow history left on the shared
 * Temporal server is read whole and searched for every secret value the suite knows of (the
 * workers' secrets, signing keys, API tokens, alert signing secrets). It must find none.
 * Histories of time-skipping test servers end with their server and are not seen here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import type { SigningKeys } from '../../src/shared/signed';
import { TOKENS } from '../support/api-stack';
import { OTHER_KEYS, RECORDING_KEYS, TEST_KEYS } from '../support/signing';
import { SUITE_SECRETS } from '../support/suite-secrets';
import { markName } from '../support/suite-marks';
import { testAddress } from '../support/temporal';
import { waitFor } from '../support/wait';

/** How long the other files may take after this one starts (only the last one still runs then). */
const OTHERS_MS = 20 * 60_000;

function keyForms(keys: SigningKeys): string[] {
  return [...keys.keys.values()].flatMap((k) => [Buffer.from(k).toString('base64url'), Buffer.from(k).toString('hex')]);
}

/** Plain tokens of config/dev.yaml (the e2e and CLI tests use them). */
function devTokens(): string[] {
  const file = parse(readFileSync(join(__dirname, '../../config/dev.yaml'), 'utf8')) as {
    auth?: { tokens?: Array<{ token?: string }> };
  };
  return (file.auth?.tokens ?? []).flatMap((t) => (t.token ? [t.token] : []));
}

/** Every secret value the suite knows of, named. */
function secretValues(): Array<{ name: string; value: string }> {
  const each = (prefix: string, values: string[]) => values.map((value, i) => ({ name: `${prefix} #${i}`, value }));
  const hook = new URL(SUITE_SECRETS['hook-url']);
  return [
    ...Object.entries(SUITE_SECRETS).map(([name, value]) => ({ name: `secret ${name}`, value })),
    { name: 'password of secret hook-url', value: hook.password },
    { name: 'path of secret hook-url', value: hook.pathname },
    ...each('signing key', [...keyForms(TEST_KEYS), ...keyForms(OTHER_KEYS), ...keyForms(RECORDING_KEYS)]),
    ...Object.entries(TOKENS).map(([who, value]) => ({ name: `API token of ${who}`, value })),
    ...each('config/dev.yaml token', devTokens()),
    // The alert tests' webhook signing secrets (test/integration/alerts.test.ts).
    { name: 'PagerDuty signing secret', value: 'pd-signing-secret-for-tests' },
    { name: 'generic alert HMAC key', value: 'generic-hmac-key-for-tests' },
  ];
}

/**
 * A history as text: every string in it, payload bytes decoded (JSON inside). Walked by hand:
 * JSON.stringify would hand bytes over as Buffer or base64 forms (their toJSON), hiding them.
 */
function historyText(history: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(history);
  return out.join('\n');
}

/** The files that ran before this one and those of them that never finished. */
async function othersDone(): Promise<{ ran: string[]; unfinished: string[] }> {
  const dir = process.env.RUNBOOKS_SUITE_MARKS;
  if (!dir) return { ran: [], unfinished: [] }; // run alone: look at what is there
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as string[];
  const missing = () => expected.filter((p) => !existsSync(join(dir, markName(p))));
  await waitFor(`every other test file to finish (${expected.length})`, () => missing().length === 0, {
    timeoutMs: OTHERS_MS,
    intervalMs: 500,
    detail: () => `still running: ${missing().join(', ')}`,
  }).catch(() => undefined); // a file that never finished has failed on its own; look anyway
  return { ran: expected, unfinished: missing() };
}

test(
  'no workflow history the suite made holds a secret value',
  async () => {
    const { ran, unfinished } = await othersDone();
    const connection = await Connection.connect({ address: testAddress() });
    try {
      const client = new Client({ connection, namespace: 'default' });
      const secrets = secretValues();
      const executions: Array<{ workflowId: string; runId: string }> = [];
      for await (const w of client.workflow.list()) executions.push({ workflowId: w.workflowId, runId: w.runId });
      const found: string[] = [];
      let next = 0;
      const scanOne = async (): Promise<void> => {
        while (next < executions.length) {
          const { workflowId, runId } = executions[next++] as (typeof executions)[number];
          const text = historyText(await client.workflow.getHandle(workflowId, runId).fetchHistory());
          for (const s of secrets) if (text.includes(s.value)) found.push(`${s.name} in ${workflowId} (${runId})`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, scanOne));
      if (unfinished.length) console.warn(`scanned before these finished: ${unfinished.join(', ')}`);
      // When files that run workflows ran before, their runs are here: an empty list would prove nothing.
      if (ran.some((p) => !p.includes('/test/unit/'))) expect(executions.length).toBeGreaterThan(0);
      expect(found).toEqual([]);
    } finally {
      await connection.close();
    }
  },
  OTHERS_MS + 10 * 60_000,
);
