/**
 * `runbook postmortems ...` against a fake API: the requests it sends (every change with
 * `via: cli`), what it prints, and exit code 2 for bad input before anything is sent.
 */
import { registerPostmortemCommands } from '../../src/cli/commands/postmortems';
import { EXIT } from '../../src/cli/errors';
import { runCli } from '../support/cli-run';

interface Sent {
  method: string;
  path: string;
  body?: unknown;
}

async function run(argv: string[], body: unknown = { accepted: true, text: 'done', phase: 'open' }, status = 200) {
  const sent: Sent[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    sent.push({
      method: init.method ?? 'GET',
      path: new URL(url).pathname + new URL(url).search,
      ...(init.body ? { body: JSON.parse(String(init.body)) } : {}),
    });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { ...(await runCli(argv, registerPostmortemCommands, fakeFetch)), sent };
}

const PATH = '/v1/postmortems/postmortem-INC-7/actions';

test.each([
  [['assign', 'postmortem-INC-7', 'dave'], { kind: 'assign-owner', owner: 'dave' }],
  [
    ['item', 'add', 'postmortem-INC-7', '--title', 'add a canary', '--owner', 'dave', '--due', '2026-12-15T17:00:00Z'],
    { kind: 'add-item', title: 'add a canary', owner: 'dave', dueAt: '2026-12-15T17:00:00.000Z' },
  ],
  [
    ['item', 'close', 'postmortem-INC-7', 'ai-1', '--reason', 'shipped'],
    { kind: 'close-item', itemId: 'ai-1', reason: 'shipped' },
  ],
  [['item', 'assign', 'postmortem-INC-7', 'ai-2', 'erin'], { kind: 'assign-item', itemId: 'ai-2', owner: 'erin' }],
  [
    ['complete', 'postmortem-INC-7', '--url', 'https://wiki.test/pm'],
    { kind: 'complete', url: 'https://wiki.test/pm' },
  ],
])('postmortems %j sends %j', async (argv, action) => {
  const r = await run(['postmortems', ...argv]);
  expect(r.code).toBe(EXIT.ok);
  expect(r.sent).toEqual([{ method: 'POST', path: PATH, body: { ...action, via: 'cli' } }]);
  expect(r.out).toBe('done (phase open)');
});

test.each([
  [['item', 'close', 'postmortem-INC-7', '1']],
  [['item', 'add', 'postmortem-INC-7', '--title', 'x', '--owner', 'dave', '--due', 'next week']],
  [['item', 'add', 'postmortem-INC-7', '--title', 'x', '--owner', 'dave']],
  [['list', '--phase', 'late']],
])('bad input %j: exit 2, nothing sent', async (argv) => {
  const r = await run(['postmortems', ...argv]);
  expect(r.code).toBe(EXIT.badInput);
  expect(r.sent).toEqual([]);
});

test('a refusal by the run is exit 2 with its reason', async () => {
  const r = await run(
    ['postmortems', 'item', 'close', 'postmortem-INC-7', 'ai-1'],
    { error: 'ai-1 is already closed', field: 'kind' },
    409,
  );
  expect(r.code).toBe(EXIT.badInput);
  expect(r.err).toContain('ai-1 is already closed');
});

test('show prints the owner, due times and items', async () => {
  const detail = {
    workflowId: 'postmortem-INC-7',
    runId: 'r',
    status: 'RUNNING',
    startTime: '2026-12-01T10:00:00.000Z',
    url: 'http://ui.test/postmortem-INC-7',
    postmortem: {
      incidentId: 'INC-7',
      title: 'checkout 500s',
      severity: 'sev1',
      service: 'checkout',
      phase: 'overdue',
      owner: 'carol',
      document: {
        dueAt: '2026-12-03T10:00:00.000Z',
        sent: [],
        ticket: { url: 'https://github.test/acme/checkout/issues/1' },
      },
      report: { sent: [] },
      items: [{ id: 'ai-1', state: 'open', owner: 'dave', dueAt: '2026-12-15T17:00:00.000Z', title: 'add a canary' }],
    },
  };
  const r = await run(['postmortems', 'show', 'postmortem-INC-7'], detail);
  expect(r.sent).toEqual([{ method: 'GET', path: '/v1/postmortems/postmortem-INC-7' }]);
  expect(r.out).toContain('phase       overdue');
  expect(r.out).toContain('ai-1  open   dave   2026-12-15T17:00:00.000Z  -      add a canary');
});
