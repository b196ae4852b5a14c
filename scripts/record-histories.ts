/**
 * Records the event histories of representative runs into test/histories/, for the replay test
 * (test/unit/replay.test.ts) that fails when a code change would break runs already in flight.
 *
 *   npm run record-histories            (records the scenarios that have no file yet)
 *   npm run record-histories -- --force (records them all again)
 *
 * Re-record only on purpose (a deliberate, patched change of behaviour); keep the old files
 * when runs of the old shape may still be in flight.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { workflowBundleOptions } from '../src/worker/bundle-options';
import { createActivities } from '../src/activities';
import { createSecretResolver, envVarFor } from '../src/activities/secrets';
import { projectRoot } from '../src/platform/project-root';
import { startDevServer } from '../src/devserver/server';
import { freePort } from '../src/platform/ports';
import { loadRunbookText } from '../src/runbooks/load';
import { RUNBOOK_WORKFLOW } from '../src/shared/constants';
import {
  alertSignal,
  approvalDecisionSignal,
  decideApprovalUpdate,
  decideStepUpdate,
  statusQuery,
} from '../src/shared/messages';
import { ALERT_TTL_MS, type AlertNotice } from '../src/shared/alert';
import { sign } from '../src/platform/signing';
import type { SignedAlert } from '../src/shared/signed';
import type { StepDecision } from '../src/shared/status';
import type { RunbookWorkflowInput } from '../src/shared/workflow-types';
import { createWorkerMetrics } from '../src/worker/metrics';
import { RECORDING_KEYS } from '../test/support/signing';
import { withSigningKeys } from '../src/worker/signing-bundle';
import { signDecision, signStart, signStepDecision } from '../src/runs/sign';
import { workerSinks } from '../src/worker/events';
import { recordIncidentHistories } from './record-incident-histories';
import { recordRecoveryHistories } from './record-recovery-histories';

const TASK_QUEUE = 'record-histories';
/** What the API signs with when these runs are recorded; the replay test verifies with the same. */
const KEYS = RECORDING_KEYS;

function runbookYaml(url: string): string {
  return `
id: replay-sample
title: Replay sample
service: \${{ params.service }}
severity: sev3
params:
  service: { type: string, default: checkout }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${url}/health" }
  - id: approve
    approval: { message: "Restart \${{ params.service }}?" }
    timeout: 10m
  - id: restart
    when: \${{ steps.probe.output.ok }}
    action: http:request:send
    with: { method: POST, url: "${url}/restart", body: { service: "\${{ params.service }}" } }
  - id: tolerated
    action: http:request:send
    with: { url: "${url}/gone" }
    onFailure: continue
  - id: both
    parallel:
      - id: a
        action: http:endpoint:check
        with: { url: "${url}/health" }
      - id: settle
        wait: 200ms
  - id: ready
    verify:
      action: http:endpoint:check
      with: { url: "${url}/warming" }
      until: \${{ output.ok }}
      interval: 200ms
      within: 30s
  - id: tell
    notify: { message: "\${{ params.service }} restarted" }
`;
}

/** Issue 3's semantics: N-of-M approvals, emergency, target lock, undo, paused step. */
function runbookV2Yaml(url: string): string {
  return `
id: replay-v2
title: Replay v2
target: service:\${{ params.service }}
concurrency: 3
params:
  service: { type: string, default: checkout }
steps:
  - id: gate
    approval: { message: ok?, approvers: [bob, carol], required: 2, emergency: { retroactiveWithin: 10m } }
    timeout: 10m
  - id: scale
    action: http:request:send
    with: { method: POST, url: "${url}/scale" }
    undo: { action: http:request:send, with: { method: POST, url: "${url}/unscale" } }
  - id: deploy
    action: http:request:send
    with: { method: POST, url: "${url}/gone" }
    retry: { maxAttempts: 1 }
    onFailure: pause
`;
}

/** The channels issue: a run with a live Slack message, an approval in its thread, a change noted there. */
function announcedYaml(url: string): string {
  return `
id: replay-announced
title: Replay announced
announce: { target: ops-slack }
steps:
  - id: approve
    approval: { message: go? }
    timeout: 10m
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${url}/restart" }
  - id: tell
    notify: { message: restarted }
`;
}

async function main(): Promise<void> {
  // Existing histories are kept: they stand for runs of earlier code that may still be in flight.
  const force = process.argv.includes('--force');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let warming = 0;
  const target = createServer((req, res) => {
    const path = req.url ?? '';
    req.resume();
    if (path === '/warming') res.writeHead(++warming % 3 === 0 ? 200 : 503).end();
    else if (path === '/gone') res.writeHead(404).end();
    // Slack's Web API, as the announce scenario's target posts and updates its message.
    else if (path.startsWith('/api/chat.'))
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"ok":true,"channel":"C0OPS","ts":"1700000000.000001"}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const server = await startDevServer({ port: await freePort(), stdio: 'ignore' });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const metrics = createWorkerMetrics();
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    taskQueue: TASK_QUEUE,
    workflowBundle: { code: withSigningKeys((await bundleWorkflowCode(workflowBundleOptions())).code, KEYS) },
    activities: createActivities({
      fetch,
      secrets: createSecretResolver({
        env: { [envVarFor('slack-bot')]: 'xoxb-replay' },
        bindings: { 'slack-bot': [url] },
      }),
      webhookTargets: { default: { url: `${url}/notify` } },
      notifyTargets: {
        'ops-slack': { kind: 'slack', tokenSecret: 'slack-bot', channel: 'C0OPS', baseUrl: `${url}/api` },
      },
      runUrl: (id) => `http://localhost:8233/namespaces/default/workflows/${id}`,
      library: () => ({
        dir: '',
        runbooks: new Map([
          [runbook.id, runbook],
          [v2.id, v2],
        ]),
        files: new Map(),
        schedules: [],
      }),
      metrics,
    }),
    sinks: workerSinks(metrics),
  });
  const runbook = loadRunbookText(runbookYaml(url), 'replay-sample.yaml');
  const v2 = loadRunbookText(runbookV2Yaml(url), 'replay-v2.yaml');
  const announced = loadRunbookText(announcedYaml(url), 'replay-announced.yaml');
  const trigger = { source: 'api' as const, requestedBy: 'alice' };

  const scenarios: Array<{ name: string; input: RunbookWorkflowInput; act: (id: string) => Promise<void> }> = [
    {
      name: 'approved',
      input: { runbook, params: { service: 'checkout' }, trigger },
      act: (id) => decide(id, 'approve'),
    },
    {
      name: 'rejected',
      input: { runbook, params: { service: 'checkout' }, trigger },
      act: (id) => decide(id, 'reject'),
    },
    {
      name: 'dry-run',
      input: { runbook, params: { service: 'checkout' }, dryRun: true, trigger },
      act: async () => undefined,
    },
    {
      name: 'cancelled',
      input: { runbook, params: { service: 'checkout' }, trigger },
      act: async (id) => {
        await waitForApproval(id);
        await client.workflow.getHandle(id).cancel();
      },
    },
    { name: 'by-id', input: { runbookId: 'replay-sample', params: {} }, act: (id) => decide(id, 'approve') },
    {
      name: 'v2-two-approvals-abort-undo',
      input: { runbook: v2, params: { service: 'a' }, trigger },
      act: async (id) => {
        await vote(id, 'gate', 'bob');
        await vote(id, 'gate', 'carol');
        await stepDecision(id, { stepId: 'deploy', action: 'abort', actor: 'oncall', reason: 'recorded' });
      },
    },
    {
      name: 'v2-emergency-skip-retroactive',
      input: { runbook: v2, params: { service: 'b' }, trigger, emergency: true },
      act: async (id) => {
        await vote(id, 'gate', 'bob');
        await stepDecision(id, { stepId: 'deploy', action: 'skip', actor: 'oncall', reason: 'recorded' });
        await vote(id, 'gate', 'carol', 'awaiting_retroactive_approval');
      },
    },
    {
      // Locks taken at the first mutating step (the 'locks-at-first-mutation' patch).
      name: 'v3-lock-at-first-change',
      input: { runbook: v2, params: { service: 'c' }, trigger },
      act: approvedTwiceDeploySkipped,
    },
    {
      // The lock's answer signed by the lock workflow, verified by the run (the 'signed-lock-answers' patch).
      name: 'v6-signed-lock-answer',
      input: { runbook: v2, params: { service: 'd' }, trigger },
      act: approvedTwiceDeploySkipped,
    },
    {
      // Started by an alert: a repeat joins, the resolution stops the run at its approval gate.
      name: 'v4-alert-repeat-resolved',
      input: startedByAlert(),
      act: async (id) => {
        await waitForPhase(id, 'waiting_approval');
        await client.workflow.getHandle(id).signal(alertSignal, notice('firing', '2026-11-23T10:00:02.000Z'));
        await client.workflow.getHandle(id).signal(alertSignal, notice('resolved', '2026-11-23T10:00:03.000Z'));
      },
    },
    {
      // Signed alert notices (the 'alert-replay-check' patch): a repeat, a copy of it (noted, not
      // counted), then the resolution.
      name: 'v6-signed-alerts-replayed-copy',
      input: startedByAlert(),
      act: async (id) => {
        await waitForPhase(id, 'waiting_approval');
        const handle = client.workflow.getHandle(id);
        const repeat = signedNotice(id, notice('firing', '2026-11-23T10:00:02.000Z'));
        await handle.signal(alertSignal, repeat);
        await handle.signal(alertSignal, repeat);
        await handle.signal(alertSignal, signedNotice(id, notice('resolved', '2026-11-23T10:00:03.000Z')));
      },
    },
    {
      // Signed start and decisions (the trust issue); an unsigned decision signal noted, not counted.
      name: 'v5-signed-approved-unverified-signal',
      input: { runbook, params: { service: 'checkout' }, trigger },
      act: async (id) => {
        await waitForApproval(id);
        await client.workflow
          .getHandle(id)
          .signal(approvalDecisionSignal, { stepId: 'approve', decision: 'approve', actor: 'bob' });
        await decide(id, 'approve');
      },
    },
    {
      // The run's live Slack message (the channels issue): card, approval thread, settled request.
      name: 'v7-announced-approved',
      input: { runbook: announced, params: {}, trigger },
      act: (id) => decide(id, 'approve'),
    },
    {
      // The Web UI's start: by runbook id, unsigned; its requester unverified.
      name: 'v5-web-ui-by-id',
      input: { runbookId: 'replay-sample', params: {} },
      act: (id) => decide(id, 'approve'),
    },
  ];

  /** A run of the sample runbook started by an Alertmanager alert (the v4 and v6 alert scenarios). */
  function startedByAlert(): RunbookWorkflowInput {
    return {
      runbook,
      params: { service: 'checkout' },
      trigger: { source: 'alert', requestedBy: 'alertmanager' },
      alert: notice('firing', '2026-11-23T10:00:01.000Z'),
    };
  }

  /** Two approvals of the gate, then the paused deploy step skipped (the v2 runbook's locked path). */
  async function approvedTwiceDeploySkipped(id: string): Promise<void> {
    await vote(id, 'gate', 'bob');
    await vote(id, 'gate', 'carol');
    await stepDecision(id, { stepId: 'deploy', action: 'skip', actor: 'oncall', reason: 'recorded' });
  }

  /** A notice as the API's alert ingest signs it for one run. */
  function signedNotice(workflowId: string, n: AlertNotice): SignedAlert {
    const now = Date.now();
    return sign(KEYS, {
      purpose: 'alert' as const,
      workflowId,
      notice: n,
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ALERT_TTL_MS).toISOString(),
    });
  }

  function notice(status: 'firing' | 'resolved', receivedAt: string): AlertNotice {
    return {
      route: 'service-down',
      receivedAt,
      alert: {
        source: 'alertmanager',
        status,
        fingerprint: 'c0ffee0000000001',
        startsAt: '2026-11-23T10:00:00.000Z',
        labels: { alertname: 'ServiceDown', service: 'checkout' },
        annotations: { summary: 'down' },
        links: [],
      },
    };
  }

  async function waitForPhase(id: string, phase: string): Promise<void> {
    for (;;) {
      const s = await client.workflow
        .getHandle(id)
        .query(statusQuery)
        .catch(() => undefined);
      if (s?.phase === phase) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function vote(id: string, stepId: string, actor: string, phase = 'waiting_approval'): Promise<void> {
    await waitForPhase(id, phase);
    await client.workflow
      .getHandle(id)
      .executeUpdate(decideApprovalUpdate, { args: [await signedDecision(id, stepId, 'approve', actor)] });
  }
  /** What the API sends: the decision signed, bound to the gate's opening. */
  async function signedDecision(id: string, stepId: string, decision: 'approve' | 'reject', actor: string) {
    const s = await client.workflow.getHandle(id).query(statusQuery);
    const opening = s.pendingApprovals.find((a) => a.stepId === stepId)?.requestedAt;
    return signDecision(KEYS, {
      workflowId: id,
      stepId,
      ...(opening ? { opening } : {}),
      actor,
      decision,
      comment: 'recorded',
      channel: 'api',
    });
  }
  async function stepDecision(id: string, d: StepDecision): Promise<void> {
    await waitForPhase(id, 'paused');
    const signed = signStepDecision(KEYS, {
      workflowId: id,
      stepId: d.stepId,
      actor: d.actor,
      action: d.action,
      ...(d.reason ? { reason: d.reason } : {}),
      channel: 'api',
    });
    await client.workflow.getHandle(id).executeUpdate(decideStepUpdate, { args: [signed] });
  }

  async function waitForApproval(id: string): Promise<void> {
    for (;;) {
      const s = await client.workflow
        .getHandle(id)
        .query(statusQuery)
        .catch(() => undefined);
      if (s?.phase === 'waiting_approval') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async function decide(id: string, decision: 'approve' | 'reject'): Promise<void> {
    await waitForApproval(id);
    await client.workflow.getHandle(id).executeUpdate(decideApprovalUpdate, {
      args: [await signedDecision(id, 'approve', decision, 'bob')],
    });
  }

  /** As the API starts a run: inline definitions signed; a start by id only is the Web UI's. */
  function signedInput(input: RunbookWorkflowInput, workflowId: string): RunbookWorkflowInput {
    if (!input.runbook) return input;
    const intent = {
      workflowType: RUNBOOK_WORKFLOW,
      runbookId: input.runbook.id,
      definition: input.runbook,
      params: input.params ?? {},
      trigger: input.trigger ?? trigger,
      approverGroups: input.approverGroups ?? {},
      emergency: input.emergency ?? false,
      dryRun: input.dryRun ?? false,
    };
    return { ...input, signed: signStart(KEYS, intent, { workflowId }) };
  }

  await worker.runUntil(async () => {
    for (const s of scenarios) {
      const file = join(projectRoot(), 'test/histories', `runbook-${s.name}.json`);
      if (existsSync(file) && !force) continue;
      const id = `replay-${s.name}`;
      const handle = await client.workflow.start(RUNBOOK_WORKFLOW, {
        taskQueue: TASK_QUEUE,
        workflowId: id,
        args: [signedInput(s.input, id)],
      });
      await s.act(id);
      await handle.result().catch(() => undefined);
      const history = await handle.fetchHistory();
      // The same JSON form as `temporal workflow show --output json`, so either tool can record.
      writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
      console.log(`recorded ${file} (${history.events?.length ?? 0} events)`);
    }
    await recordIncidentHistories({
      client,
      taskQueue: TASK_QUEUE,
      keys: KEYS,
      force,
      approveRun: (id) => decide(id, 'approve'),
    });
    await recordRecoveryHistories({ client, address: server.address, keys: KEYS, force });
  });
  await client.connection.close();
  await server.stop();
  target.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
