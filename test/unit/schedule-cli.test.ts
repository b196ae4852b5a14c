/**
 * `runbook schedules ...` against a fake API: the requests it sends, what it prints (text and
 * --json) and its exit codes (2 for bad input, 1 when a sync change failed).
 */
import { registerScheduleCommands, renderDiff } from '../../src/cli/commands/schedules';
import { EXIT } from '../../src/cli/errors';
import { runCli } from '../support/cli-run';

interface Sent {
  method: string;
  path: string;
  body?: unknown;
}

/** Runs one command line against a fake API that records what was sent. */
async function run(
  argv: string[],
  answer: (s: Sent) => { status?: number; body: unknown },
): Promise<{ code: number; out: string; err: string; sent: Sent[] }> {
  const sent: Sent[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    const s: Sent = {
      method: init.method ?? 'GET',
      path: new URL(url).pathname,
      ...(init.body ? { body: JSON.parse(String(init.body)) } : {}),
    };
    sent.push(s);
    const a = answer(s);
    return new Response(JSON.stringify(a.body), {
      status: a.status ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof fetch;
  return { ...(await runCli(argv, registerScheduleCommands, fakeFetch)), sent };
}

const diff = {
  dryRun: true,
  create: [{ id: 'runbook-a-daily', runbookId: 'a', when: 'cron "0 7 * * *" UTC', paused: true }],
  update: [{ id: 'runbook-b-weekly', runbookId: 'b', changes: ['when: cron "0 7 * * 1" UTC -> cron "0 8 * * 1" UTC'] }],
  delete: [{ id: 'runbook-c-old', runbookId: 'c' }],
  unchanged: ['runbook-d-x'],
  conflicts: [
    { id: 'runbook-e-y', reason: 'a schedule without the durable-runbooks memo has this id; it is left alone' },
  ],
};

test('sync --dry-run sends dryRun and prints the diff readably', async () => {
  const r = await run(['schedules', 'sync', '--dry-run'], () => ({ body: diff }));
  expect(r.sent).toEqual([{ method: 'POST', path: '/v1/schedules/sync', body: { dryRun: true } }]);
  expect(r.code).toBe(0);
  expect(r.out).toBe(
    [
      'dry run (nothing changed): 1 to create, 1 to update, 1 to delete, 1 unchanged',
      '+ create     runbook-a-daily  cron "0 7 * * *" UTC (paused)',
      '~ update     runbook-b-weekly',
      '             when: cron "0 7 * * 1" UTC -> cron "0 8 * * 1" UTC',
      '- delete     runbook-c-old',
      '! left alone runbook-e-y: a schedule without the durable-runbooks memo has this id; it is left alone',
    ].join('\n'),
  );
});

test('sync exits 1 when a change failed, and --json prints the answer as it came', async () => {
  const failed = { ...diff, dryRun: false, failed: [{ id: 'runbook-a-daily', op: 'create' as const, error: 'boom' }] };
  const r = await run(['--json', 'schedules', 'sync'], () => ({ body: failed }));
  expect(r.code).toBe(EXIT.failed);
  expect(JSON.parse(r.out)).toEqual(failed);
  expect(renderDiff(failed)).toContain('synced: 1 created, 1 updated, 1 deleted, 1 unchanged');
  expect(renderDiff(failed)).toContain('x failed     runbook-a-daily: create: boom');
});

test('pause and resume post the note; list prints one row per schedule', async () => {
  const p = await run(['schedules', 'pause', 'runbook-a-daily', '-m', 'db work'], () => ({
    body: { id: 'runbook-a-daily', paused: true, note: 'paused by alice: db work', changed: true },
  }));
  expect(p.sent).toEqual([{ method: 'POST', path: '/v1/schedules/runbook-a-daily/pause', body: { note: 'db work' } }]);
  expect(p.out).toBe('schedule runbook-a-daily paused (paused by alice: db work)');
  const r = await run(['schedules', 'resume', 'runbook-a-daily'], () => ({
    body: { id: 'runbook-a-daily', paused: false, note: 'x', changed: false },
  }));
  expect(r.sent[0]).toEqual({ method: 'POST', path: '/v1/schedules/runbook-a-daily/resume', body: {} });
  expect(r.out).toContain('was already active');
  const l = await run(['schedules', 'list'], () => ({
    body: {
      schedules: [
        {
          id: 'runbook-a-daily',
          runbookId: 'a',
          when: 'cron "0 7 * * *" UTC',
          policies: 'overlap skip, catch-up 10m',
          paused: true,
          note: 'example',
          declared: false,
          nextActionTimes: [],
          recentActions: [
            {
              scheduledAt: '2025-01-06T07:00:00.000Z',
              takenAt: '2025-01-06T07:00:00.100Z',
              workflowId: 'runbook-a-daily-2025-01-06T07:00:00Z',
              runId: 'r',
              url: 'u',
            },
          ],
          url: 'u',
        },
      ],
    },
  }));
  expect(l.out).toBe(
    [
      'runbook-a-daily  (runbook a)  NOT DECLARED: the next sync deletes it',
      '  when       cron "0 7 * * *" UTC; overlap skip, catch-up 10m',
      '  state      paused: example',
      '  next       none while paused',
      '  last runs  2025-01-06T07:00:00.000Z runbook-a-daily-2025-01-06T07:00:00Z',
    ].join('\n'),
  );
});

test('backfill needs ISO times with a zone (exit 2 before any request); a 404 exits 2', async () => {
  const bad = await run(
    ['schedules', 'backfill', 'runbook-a-daily', '--from', 'yesterday', '--to', '2025-01-06T00:00:00Z'],
    () => ({ body: {} }),
  );
  expect(bad.code).toBe(EXIT.badInput);
  expect(bad.sent).toEqual([]);
  expect(bad.err).toContain('ISO 8601');
  const ok = await run(
    ['schedules', 'backfill', 'x', '--from', '2025-01-05T00:00:00+01:00', '--to', '2025-01-06T00:00:00Z'],
    (s) => ({
      body: { id: 'x', start: (s.body as { start: string }).start, end: '2025-01-06T00:00:00.000Z', overlap: 'skip' },
    }),
  );
  expect(ok.sent[0]?.body).toEqual({ start: '2025-01-04T23:00:00.000Z', end: '2025-01-06T00:00:00.000Z' });
  const missing = await run(['schedules', 'trigger', 'nope'], () => ({
    status: 404,
    body: { error: "no schedule 'nope'", field: 'id' },
  }));
  expect(missing.code).toBe(EXIT.badInput);
  expect(missing.err).toContain("no schedule 'nope' (field: id)");
});
