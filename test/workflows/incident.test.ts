/**
 * The incident workflow over hours and days, in seconds, on the time-skipping test server, with
 * the seeds' default rules and the real workflow bundle (signing keys in its sandbox). The
 * activities are stand-ins recording what would be sent (pages, reminders, updates) and who is
 * on call. Proved: the whole ladder when nobody answers (primary, backup at 15m, manager at 2h,
 * executive at 4h), the cadence (an overdue update reminded, then escalated), a signed
 * acknowledgement stopping the backup's page, refusals (unsigned, forged, another incident's),
 * a severity change re-planning, manual tasks, resolution, monitoring, close, the postmortem
 * started, and continue-as-new carrying the book.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/load';
import { sign } from '../../src/platform/signing';
import { incidentDefinition } from '../../src/runs/incident-kind';
import { signStart } from '../../src/runs/sign';
import { INCIDENT_WORKFLOW } from '../../src/shared/constants';
import {
  incidentActionSignal,
  incidentActionUpdate,
  incidentQuery,
  type IncidentAction,
  type IncidentDefinition,
  type IncidentWorkflowInput,
} from '../../src/shared/incident-messages';
import type { AlertNoticeClaims } from '../../src/shared/alert';
import type { IncidentRecord } from '../../src/shared/incident';
import { alertSignal } from '../../src/shared/messages';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { withSigningKeys } from '../../src/worker/signing-bundle';
import { OTHER_KEYS, TEST_KEYS } from '../support/signing';
import { uniqueQueue, workflowBundle } from '../support/temporal';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { waitFor } from '../support/wait';

const M = 60_000;
let env: TestWorkflowEnvironment;
let code: string;
const config = loadConfig({ RUNBOOKS_CONFIG: '' }, process.cwd(), { tokens: false });

beforeAll(async () => {
  code = withSigningKeys((await workflowBundle()).code, TEST_KEYS);
});
// A server per test: skipping time is global, and one test's runs must not hold another's clock.
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(() => env?.teardown());

interface Sent {
  atMin: number;
  kind: string;
  target: string;
  text: string;
}

function definition(over: Partial<IncidentDefinition> = {}): IncidentDefinition {
  const d = incidentDefinition(
    {
      ...config,
      incidents: {
        ...config.incidents,
        levels: [
          { name: 'primary', who: { oncall: 'primary' } },
          { name: 'secondary', who: { oncall: 'secondary' } },
          { name: 'manager', who: { people: ['carol'] } },
          { name: 'executive', who: { people: ['dan'] } },
        ],
      },
      incidentSetup: {
        channels: { page: ['pager'], stakeholders: 'incidents', statusPage: 'status' },
        monitorMs: 30 * M,
        triageReminderMs: 5 * M,
      },
    },
    [],
  );
  return { ...d, ...over };
}

async function withIncident<T>(
  params: Record<string, unknown>,
  act: (
    h: Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>,
    sent: Sent[],
    t0: number,
  ) => Promise<T>,
  def = definition(),
): Promise<T> {
  const taskQueue = uniqueQueue('incident');
  const sent: Sent[] = [];
  let t0 = 0;
  const record = (kind: string) => async (env_: { input: Record<string, unknown>; step: { stepId: string } }) => {
    sent.push({
      // The server's clock (it skips), not this process's.
      atMin: Math.round((Context.current().info.currentAttemptScheduledTimestampMs - t0) / M),
      kind: env_.step.stepId.split('.')[1]?.replace(/-\d+$/, '') ?? kind,
      target: String(env_.input.target),
      text: String(env_.input.message ?? env_.input.text ?? env_.input.status ?? ''),
    });
    return { output: { delivered: true }, changed: false };
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code },
    sinks: createWorkerMetrics().sinks,
    activities: {
      'notify:webhook:post': record('notify'),
      'notify:slack:post': record('slack'),
      'notify:statuspage:incident': record('status'),
      incidentOnCall: async (i: { role: string }) => ({ who: i.role === 'primary' ? 'bob' : 'erin' }),
    },
  });
  return worker.runUntil(async () => {
    const workflowId = `incident-test-${randomUUID().slice(0, 8)}`;
    const input: IncidentWorkflowInput = {
      definition: def,
      signed: signStart(
        TEST_KEYS,
        {
          workflowType: INCIDENT_WORKFLOW,
          runbookId: 'none',
          definition: def,
          params: { title: 'checkout down', severity: 'sev1', service: 'checkout', ...params } as never,
          trigger: { source: 'api', requestedBy: 'alice' },
          emergency: false,
          dryRun: false,
        },
        { workflowId },
        Date.now() + 365 * 24 * 60 * M, // the test server's clock runs ahead of ours
      ),
    };
    t0 = Date.now();
    const h = await env.client.workflow.start(INCIDENT_WORKFLOW, { taskQueue, workflowId, args: [input] });
    // The workflow's own clock is the one that skips: read the opening time from it.
    const opened = (await h.query(incidentQuery)).record;
    t0 = Date.parse(opened.openedAt);
    try {
      return await act(h, sent, t0);
    } finally {
      // Nothing left with timers on a queue no worker polls: the server would stop skipping time for it.
      for (const id of [workflowId, `postmortem-${opened.id}`])
        await env.client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined);
    }
  });
}

/** Why the incident's validator refused an update (the SDK puts it in the failure's cause). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return String((err as { cause?: Error }).cause?.message ?? (err as Error).message);
  }
  throw new Error('the update was accepted');
}

/**
 * A call to a run that may be continuing as new: the time-skipping server can leave a query or
 * an update sent during the hand-over unanswered, so each try has a deadline and is sent again.
 */
async function patiently<T>(fn: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await env.connection.withDeadline(Date.now() + 5000, fn);
    } catch (err) {
      if (i >= tries || !/deadline/i.test(String((err as Error).message))) throw err;
    }
  }
}

let requests = 0;
function signedAction(workflowId: string, incidentId: string, action: IncidentAction, keys = TEST_KEYS, actor = 'bob') {
  return sign(keys, {
    purpose: 'incident-action' as const,
    workflowId,
    incidentId,
    actor,
    action,
    channel: 'cli' as const,
    requestId: `r${++requests}`,
    expiresAt: new Date(Date.now() + 400 * 24 * 60 * M).toISOString(),
  });
}

const pages = (sent: Sent[]) =>
  sent
    .filter((s) => s.kind === 'page')
    .map((s) => [
      s.atMin,
      s.text
        .match(/paging (\w+) (\w+)/)
        ?.slice(1, 3)
        .join(' '),
    ]);

test('nobody answers a sev1: primary, backup at 15m, manager at 2h, executive at 4h; the overdue update reminded then escalated', async () => {
  const { sent, record } = await withIncident({}, async (h, sent) => {
    await env.sleep(4 * 60 * M + 5 * M);
    const s = await h.query(incidentQuery);
    await h.executeUpdate(incidentActionUpdate, {
      args: [signedAction(h.workflowId, s.record.id, { kind: 'resolve', note: 'fixed' })],
    });
    return { sent, record: (await h.result()) as IncidentRecord };
  });
  expect(pages(sent)).toEqual([
    [0, 'primary bob'],
    [15, 'secondary erin'],
    [120, 'manager carol'],
    [240, 'executive dan'],
  ]);
  // sev1: the status page at once (investigating), the stakeholder update due at 15m: reminded, then at 22m escalated.
  expect(sent.find((s) => s.kind === 'status')).toMatchObject({ atMin: 0, target: 'status' });
  const reminder = sent.find((s) => s.kind === 'reminder');
  expect(reminder).toMatchObject({ atMin: 15, target: 'incidents' });
  expect(reminder?.text).toMatch(/stakeholder update is due/);
  expect(sent.find((s) => s.kind === 'overdue')).toMatchObject({ atMin: 23, target: 'incidents' });
  expect(sent.find((s) => s.kind === 'triage')).toMatchObject({ atMin: 5 });
  expect(record.state).toBe('closed');
  expect(record.timeline.map((e) => e.kind)).toEqual(
    expect.arrayContaining(['opened', 'page', 'escalated', 'resolved', 'closed']),
  );
  const closed = record.timeline.find((e) => e.kind === 'closed');
  // Thirty minutes of monitoring, measured from the workflow task after the resolution.
  expect(Date.parse(closed!.at) - Date.parse(record.resolvedAt!)).toBeGreaterThanOrEqual(30 * M);
  expect(Date.parse(closed!.at) - Date.parse(record.resolvedAt!)).toBeLessThan(30 * M + 1000);
});

test("an open incident's stack trace names each of its waits once (the ladder, the cadence, triage), not the SDK's insides", async () => {
  const trace = await withIncident({}, async (h) => {
    await waitFor('the first page', async () =>
      (await h.query(incidentQuery)).record.timeline.some((e) => e.kind === 'page'),
    );
    return h.query<string>('__stack_trace');
  });
  // What the Web UI's Stack Trace tab shows: one trace per wait, each under its caller.
  expect(trace).toMatch(/kit\/paging\.ts:\d+/);
  expect(trace).toMatch(/incident\/cadence\.ts:\d+/);
  expect(trace).toMatch(/at triage \(.*incident\/workflow\.ts:\d+/);
  const traces = trace.split(/\n\s*\n/).filter((t) => t.trim() !== '');
  expect(traces.length).toBeLessThanOrEqual(7);
  expect(trace).not.toMatch(/^\s+at Promise\.then \(<anonymous>\)\s*$/m);
});

test('an alert firing again while the incident is monitored reopens it and pages again; resolved again, it closes after the window', async () => {
  const record = await withIncident({}, async (h, sent) => {
    const id = (await h.query(incidentQuery)).record.id;
    await h.executeUpdate(incidentActionUpdate, {
      args: [signedAction(h.workflowId, id, { kind: 'resolve', note: 'rolled back' })],
    });
    await waitFor('monitoring', async () => (await h.query(incidentQuery)).record.state === 'monitoring');
    await env.sleep(10 * M);
    const pagesBefore = sent.filter((s) => s.kind === 'page').length;
    // The API's notice of the alert firing again, signed at the server's (skipped) time.
    const now = await env.currentTimeMs();
    await h.signal(
      alertSignal,
      sign<AlertNoticeClaims>(TEST_KEYS, {
        purpose: 'alert',
        workflowId: h.workflowId,
        notice: {
          route: 'checkout-down',
          receivedAt: new Date(now).toISOString(),
          alert: {
            source: 'alertmanager',
            status: 'firing',
            fingerprint: 'checkout-5xx',
            startsAt: new Date(now).toISOString(),
            labels: { alertname: 'CheckoutDown', service: 'checkout' },
            annotations: {},
            links: [],
          },
        },
        issuedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 60 * M).toISOString(),
      }),
    );
    const reopened = await waitFor('reopened', async () => {
      const r = (await h.query(incidentQuery)).record;
      return r.state === 'triage' && r;
    });
    expect(reopened.resolvedAt).toBeUndefined();
    expect(reopened.timeline.filter((e) => e.kind === 'reopened')).toEqual([
      expect.objectContaining({ by: 'system', text: 'CheckoutDown firing again', human: false }),
    ]);
    await waitFor('the page on reopening', () => sent.filter((s) => s.kind === 'page').length > pagesBefore);
    expect(sent.filter((s) => s.kind === 'page').at(-1)?.text).toMatch(/reopened: CheckoutDown firing again/);
    await h.executeUpdate(incidentActionUpdate, {
      args: [signedAction(h.workflowId, id, { kind: 'resolve', note: 'fixed for good' })],
    });
    await env.sleep(31 * M);
    return (await h.result()) as IncidentRecord;
  });
  expect(record.state).toBe('closed');
  expect(record.timeline.map((e) => e.kind).filter((k) => ['resolved', 'reopened', 'closed'].includes(k))).toEqual([
    'resolved',
    'reopened',
    'resolved',
    'closed',
  ]);
});

test('a signed ack at 5m stops the backup page; refusals are noted, not applied; severity, tasks and updates go on the timeline', async () => {
  await withIncident({ severity: 'sev2' }, async (h, sent) => {
    await env.sleep(5 * M);
    const id = (await h.query(incidentQuery)).record.id;
    expect(
      await refusal(
        h.executeUpdate(incidentActionUpdate, { args: [signedAction(h.workflowId, id, { kind: 'ack' }, OTHER_KEYS)] }),
      ),
    ).toMatch(/not the API's/);
    expect(
      await refusal(
        h.executeUpdate(incidentActionUpdate, { args: [signedAction(h.workflowId, 'INC-other', { kind: 'ack' })] }),
      ),
    ).toMatch(/signed for incident INC-other/);
    await h.signal(incidentActionSignal, { kind: 'ack', actor: 'mallory' });
    const ack = await h.executeUpdate(incidentActionUpdate, {
      args: [signedAction(h.workflowId, id, { kind: 'ack' })],
    });
    expect(ack).toMatchObject({ accepted: true, state: 'acknowledged', text: 'acknowledged by bob (cli)' });
    expect(
      await refusal(h.executeUpdate(incidentActionUpdate, { args: [signedAction(h.workflowId, id, { kind: 'ack' })] })),
    ).toMatch(/was acknowledged at/);
    await h.executeUpdate(incidentActionUpdate, {
      args: [
        signedAction(h.workflowId, id, {
          kind: 'task',
          title: 'call the security team',
          assignee: 'erin',
          dueInMs: 30 * M,
        }),
      ],
    });
    await h.executeUpdate(incidentActionUpdate, {
      args: [
        signedAction(h.workflowId, id, {
          kind: 'update',
          text: 'rolling back',
          statusPage: true,
          status: 'identified',
        }),
      ],
    });
    await env.sleep(40 * M);
    await h.executeUpdate(incidentActionUpdate, {
      args: [
        signedAction(
          h.workflowId,
          id,
          { kind: 'task-done', taskId: 'task-1', done: true, note: 'called' },
          TEST_KEYS,
          'erin',
        ),
      ],
    });
    await h.executeUpdate(incidentActionUpdate, {
      args: [signedAction(h.workflowId, id, { kind: 'severity', severity: 'sev1' })],
    });
    // The new plan's page, sent at once.
    await waitFor('the page of the new plan', async () =>
      (await h.query(incidentQuery)).record.timeline.some((e) => e.kind === 'page' && e.text.includes('secondary')),
    );
    const s = await h.query(incidentQuery);
    expect(s.record.roles.commander).toBe('bob');
    expect(s.tasks[0]).toMatchObject({ state: 'done', by: 'erin', note: 'called', reminders: 1 });
    expect(s.notes).toHaveLength(1);
    expect(s.notes[0]?.claimed).toMatch(/mallory/);
    // Five minutes, and the workflow task that took the acknowledgement.
    expect(Math.abs((s.accounting.mttaMs ?? 0) - 5 * M)).toBeLessThan(1000);
    // sev2: backup at 15m unless acknowledged (it was); as a sev1 from 45m the secondary is due at 30m: paged at once.
    expect(pages(sent)).toEqual([
      [0, 'primary bob'],
      [45, 'secondary erin'],
    ]);
    expect(sent.find((x) => x.kind === 'task')).toMatchObject({ atMin: 35 });
    expect(sent.filter((x) => x.kind === 'status').map((x) => x.text)).toEqual([
      expect.stringMatching(/identified: rolling back$/),
    ]);
    expect(s.record.timeline.map((e) => [e.kind, e.by])).toEqual(
      expect.arrayContaining([
        ['acknowledged', 'bob'],
        ['task', 'erin'],
        ['update', 'bob'],
        ['severity', 'bob'],
      ]),
    );
  });
});

test('a long incident continues as new and carries its book: no level paged twice, its id kept', async () => {
  await withIncident(
    { severity: 'sev3' },
    async (h, sent) => {
      const first = await h.query(incidentQuery);
      for (let i = 0; i < 40; i++) {
        // The same signed request each try (as the API retries): applied once, whichever run takes it.
        const note = signedAction(h.workflowId, first.record.id, { kind: 'note', text: `note ${i}` });
        await patiently(() =>
          h.executeUpdate(incidentActionUpdate, { args: [note], updateId: note.payload.requestId }),
        ).catch((err: Error) => {
          if (!/applied already/.test(String((err as { cause?: Error }).cause?.message))) throw err;
        });
      }
      // Continued once the history passed 60 events and nothing was in flight.
      const runId = await waitFor('the incident to continue as new', async () => {
        const now = (await h.describe()).runId;
        return now !== h.firstExecutionRunId && now;
      });
      const after = await patiently(() => env.client.workflow.getHandle(h.workflowId).query(incidentQuery));
      expect(after.record.id).toBe(first.record.id);
      expect(after.record.timeline.filter((e) => e.kind === 'note' && e.by === 'bob')).toHaveLength(40);
      expect(runId).not.toBe(h.firstExecutionRunId);
      await env.sleep(60 * M);
      expect(pages(sent).filter(([, who]) => who === 'primary bob')).toHaveLength(1);
    },
    definition({ continueAfterEvents: 60 }),
  );
});
