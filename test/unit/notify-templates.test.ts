/**
 * Message templates: the shipped defaults (the seeds' four status texts, and the run's notices
 * word for word as before templates), a configuration's own texts replacing them, templates that
 * do not parse refused at load with their line, and a notice sent with its event rendered by the
 * worker from the configured text (a gap in the scope shows as `<path>`, never fails the send).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { noticeText, renderStatus } from '../../src/activities/notify/templates';
import { createSecretResolver } from '../../src/activities/secrets';
import { loadConfig } from '../../src/config/load';
import { DEFAULT_STATUS_TEMPLATES, messageTemplatesOf } from '../../src/config/notify-templates';
import type { ActionInput, ActionResult, StepContext } from '../../src/shared/activity-types';
import { createWorkerMetrics } from '../../src/worker/metrics';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf } from '../support/runbook-worker';

const dir = mkdtempSync(join(tmpdir(), 'cfg-templates-'));
function load(text: string) {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return { path, config: () => loadConfig({ RUNBOOKS_CONFIG: path }, dir, { tokens: false }) };
}

test("the seeds' four status templates ship as the defaults", () => {
  expect(DEFAULT_STATUS_TEMPLATES).toEqual({
    investigating: 'We are investigating reports of ${{ issue }}. Our team is actively working on a resolution.',
    identified: 'We have identified the cause as ${{ rootCause }} and are implementing a fix.',
    monitoring: 'A fix has been implemented and we are monitoring the results.',
    resolved: 'This incident has been resolved. All systems are operating normally.',
  });
  const t = messageTemplatesOf(undefined);
  expect(renderStatus(t, 'investigating', { issue: 'failed payments' })).toBe(
    'We are investigating reports of failed payments. Our team is actively working on a resolution.',
  );
  // A gap shows what was missing rather than failing the update.
  expect(renderStatus(t, 'identified', {})).toBe(
    'We have identified the cause as <rootCause> and are implementing a fix.',
  );
});

test("the run's notices say by default exactly what they said before templates", () => {
  const t = messageTemplatesOf(undefined);
  const scope = {
    runbook: { id: 'restart', title: 'Restart' },
    run: { workflowId: 'restart-1', phase: 'waiting_approval' },
  };
  const url = 'http://ui/wf/restart-1';
  expect(
    noticeText(
      t,
      { kind: 'escalation', scope: { ...scope, step: { id: 'gate' }, escalation: { to: 'bob, carol' } } },
      { text: 'x' },
      url,
    ),
  ).toEqual({ text: "Approval 'gate' of Restart had no decision in time; escalated to bob, carol." });
  expect(
    noticeText(
      t,
      { kind: 'step_paused', scope: { ...scope, step: { id: 'roll', error: 'timed out' } } },
      { text: 'x' },
      url,
    ),
  ).toEqual({
    text: "Step 'roll' of Restart is paused after failing (timed out) and needs a decision.",
  });
  expect(
    noticeText(t, { kind: 'alert_resolved', scope: { ...scope, reason: 'the alert resolved' } }, { text: 'x' }, url),
  ).toEqual({
    text: 'Restart: the alert resolved. The run (restart-1) made no further changes.',
  });
  // Without an event, the text as given.
  expect(noticeText(t, undefined, { title: 'T', text: 'as given' }, url)).toEqual({ title: 'T', text: 'as given' });
});

test("a configuration's templates replace the defaults they name; the others stay", () => {
  const { config } = load(
    [
      'notify:',
      '  templates:',
      '    status:',
      '      investigating: "Checkout is degraded: ${{ issue }}. Updates every 30 minutes."',
      '    events:',
      '      escalation:',
      '        title: "ESCALATED: ${{ runbook.title }}"',
      '        text: "${{ step.id }} waited too long; now ${{ escalation.to }}. ${{ run.url }}"',
      '',
    ].join('\n'),
  );
  const t = config().messageTemplates;
  expect(t.status.investigating).toBe('Checkout is degraded: ${{ issue }}. Updates every 30 minutes.');
  expect(t.status.resolved).toBe(DEFAULT_STATUS_TEMPLATES.resolved);
  expect(
    noticeText(
      t,
      {
        kind: 'escalation',
        scope: {
          runbook: { title: 'Restart' },
          run: { workflowId: 'w' },
          step: { id: 'gate' },
          escalation: { to: 'sre-leads' },
        },
      },
      { text: 'x' },
      'http://ui/wf/w',
    ),
  ).toEqual({ title: 'ESCALATED: Restart', text: 'gate waited too long; now sre-leads. http://ui/wf/w' });
});

test('a template that does not parse, or an unknown kind, is refused at load with its line', () => {
  const bad = load(['notify:', '  templates:', '    status:', '      resolved: "done ${{ 1 + }}"', ''].join('\n'));
  expect(bad.config).toThrow(new RegExp(`${bad.path}:4:\\d+: notify.templates.status.resolved: invalid template`));
  const unknown = load(['notify:', '  templates:', '    events:', '      run_exploded: { text: boom }', ''].join('\n'));
  expect(unknown.config).toThrow(/notify\.templates\.events/);
});

describe('a notice with its event, as the worker sends it', () => {
  let hook: Receiver;
  const step: StepContext = {
    workflowId: 'restart-1',
    runId: 'r',
    stepId: 'notice-1',
    runbookId: 'restart',
    idempotencyKey: 'restart-1/notice-1',
    dryRun: false,
  };
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
    hook = await startReceiver();
    hook.on('/hook', () => ({ status: 200, body: 'ok' }));
  });
  afterAll(() => hook.close());

  test('the configured text goes out in place of the run-built message', async () => {
    const templates = messageTemplatesOf({
      events: { step_paused: { title: 'Paused', text: '${{ step.id }}: ${{ step.error }}' } },
    });
    const acts = createActivities({
      fetch: globalThis.fetch,
      secrets: createSecretResolver({ env: {} }),
      webhookTargets: { oncall: { url: `${hook.url}/hook` } },
      messageTemplates: templates,
      runUrl: (id) => `http://ui/wf/${id}`,
      library: () => libraryOf(),
      metrics: createWorkerMetrics(),
    }) as unknown as Record<string, (i: ActionInput) => Promise<ActionResult>>;
    await new MockActivityEnvironment().run(acts['notify:webhook:post']!, {
      step,
      input: {
        target: 'oncall',
        message: "Step 'roll' of Restart is paused after failing (timed out) and needs a decision.",
        severity: 'warning',
        event: {
          kind: 'step_paused',
          scope: { runbook: { id: 'restart', title: 'Restart' }, step: { id: 'roll', error: 'timed out' } },
        },
      },
    });
    expect(JSON.parse(hook.received.at(-1)!.body)).toMatchObject({
      title: 'Paused',
      text: 'roll: timed out',
      severity: 'warning',
    });
  });
});
