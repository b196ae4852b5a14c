/**
 * The incident and postmortem scenarios of scripts/record-histories.ts: one incident from
 * opening to close (paged, a child runbook approved, acknowledged by a signed action, an unsigned
 * one noted, a task done, resolved, monitored, closed, its postmortem started), and one
 * postmortem from its start to its end (an item added and closed, completed, the report filed).
 * Each history is named after its workflow id, which the replay test gives back.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../src/config/load';
import { sign } from '../src/platform/signing';
import { projectRoot } from '../src/platform/project-root';
import { incidentDefinition } from '../src/runs/incident-kind';
import { signStart } from '../src/runs/sign';
import { INCIDENT_WORKFLOW, POSTMORTEM_WORKFLOW } from '../src/shared/constants';
import {
  incidentActionSignal,
  incidentActionUpdate,
  incidentQuery,
  type IncidentAction,
  type IncidentWorkflowInput,
} from '../src/shared/incident-messages';
import {
  postmortemActionUpdate,
  postmortemQuery,
  type PostmortemAction,
  type PostmortemDefinition,
  type PostmortemWorkflowInput,
} from '../src/shared/postmortem';
import type { SigningKeys } from '../src/shared/signed';

interface Recording {
  client: Client;
  taskQueue: string;
  keys: SigningKeys;
  force: boolean;
  /** Approves a runbook run's gate (the sample runbook's `approve`), as the main script does. */
  approveRun(workflowId: string): Promise<void>;
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function save(r: Recording, workflowId: string, file: string): Promise<void> {
  const history = await r.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
  console.log(`recorded ${file} (${history.events?.length ?? 0} events)`);
}

let requests = 0;

export async function recordIncidentHistories(r: Recording): Promise<void> {
  const dir = join(projectRoot(), 'test/histories');
  const incidentFile = join(dir, 'incident-replay-v1.json');
  if (!existsSync(incidentFile) || r.force) {
    const workflowId = 'incident-replay-v1';
    const config = loadConfig({ RUNBOOKS_CONFIG: '' }, projectRoot(), { tokens: false });
    const definition = incidentDefinition(
      {
        ...config,
        incidentSetup: {
          channels: { page: ['default'], stakeholders: 'default' },
          monitorMs: 1000,
          triageReminderMs: 3_600_000,
        },
      },
      [{ id: 'replay-sample', params: { service: 'checkout' } }],
    );
    const input: IncidentWorkflowInput = {
      definition,
      signed: signStart(
        r.keys,
        {
          workflowType: INCIDENT_WORKFLOW,
          runbookId: 'replay-sample',
          definition,
          params: { title: 'checkout down', severity: 'sev2', service: 'checkout' },
          trigger: { source: 'alert', requestedBy: 'alertmanager' },
          emergency: false,
          dryRun: false,
        },
        { workflowId },
      ),
    };
    const h = await r.client.workflow.start(INCIDENT_WORKFLOW, { taskQueue: r.taskQueue, workflowId, args: [input] });
    const id = await until(async () => (await h.query(incidentQuery)).record.id);
    const act = (action: IncidentAction, actor = 'bob') =>
      h.executeUpdate(incidentActionUpdate, {
        args: [
          sign(r.keys, {
            purpose: 'incident-action' as const,
            workflowId,
            incidentId: id,
            actor,
            action,
            channel: 'cli' as const,
            requestId: `rec-${++requests}`,
            expiresAt: new Date(Date.now() + 300_000).toISOString(),
          }),
        ],
      });
    const child = await until(async () => (await h.query(incidentQuery)).children[0]?.workflowId);
    await r.approveRun(child);
    await act({ kind: 'ack' });
    await h.signal(incidentActionSignal, { kind: 'resolve', actor: 'mallory' });
    await act({ kind: 'task', title: 'tell the security team by phone', assignee: 'erin', dueInMs: 600_000 });
    await act({ kind: 'task-done', taskId: 'task-1', done: true, note: 'called' }, 'erin');
    await until(async () => ((await h.query(incidentQuery)).children[0]?.state === 'succeeded' ? true : undefined));
    await act({ kind: 'update', text: 'restarted; watching', statusPage: true, status: 'monitoring' });
    await act({ kind: 'resolve', note: 'restarted' });
    await h.result();
    await save(r, workflowId, incidentFile);
    // Its postmortem lives for weeks: not recorded here (the scenario below is).
    await r.client.workflow
      .getHandle(`postmortem-${id}`)
      .terminate('recorded')
      .catch(() => undefined);
  }

  const postmortemFile = join(dir, 'postmortem-replay-v1.json');
  if (!existsSync(postmortemFile) || r.force) {
    const workflowId = 'postmortem-replay-v1';
    const now = Date.now();
    const definition: PostmortemDefinition = {
      incidentId: 'INC-20261201-100000-rec1',
      incidentWorkflowId: 'incident-replay-v1',
      title: 'checkout down',
      severity: 'sev2',
      service: 'checkout',
      resolvedAt: new Date(now).toISOString(),
      dueAt: new Date(now + 7 * 86_400_000).toISOString(),
      reportDueAt: new Date(now + 86_400_000).toISOString(),
      owner: 'bob',
      managers: ['carol'],
      notifyTarget: 'default',
      draft: '# Postmortem: checkout down\n',
    };
    const input: PostmortemWorkflowInput = {
      definition,
      signed: signStart(
        r.keys,
        {
          workflowType: POSTMORTEM_WORKFLOW,
          runbookId: 'postmortem',
          definition,
          params: {},
          trigger: { source: 'incident', requestedBy: 'incident-replay-v1' },
          emergency: false,
          dryRun: false,
        },
        { workflowId },
      ),
    };
    const h = await r.client.workflow.start(POSTMORTEM_WORKFLOW, { taskQueue: r.taskQueue, workflowId, args: [input] });
    await until(async () => (await h.query(postmortemQuery)).phase);
    const act = (action: PostmortemAction) =>
      h.executeUpdate(postmortemActionUpdate, {
        args: [
          sign(r.keys, {
            purpose: 'postmortem-action' as const,
            workflowId,
            actor: 'bob',
            action,
            channel: 'cli' as const,
            requestId: `rec-${++requests}`,
            expiresAt: new Date(Date.now() + 300_000).toISOString(),
          }),
        ],
      });
    await act({
      kind: 'add-item',
      title: 'add a canary',
      owner: 'dave',
      dueAt: new Date(now + 14 * 86_400_000).toISOString(),
    });
    await act({ kind: 'report', url: 'https://wiki.example/report' });
    await act({ kind: 'complete', url: 'https://wiki.example/postmortem' });
    await act({ kind: 'close-item', itemId: 'ai-1', reason: 'shipped' });
    await h.result();
    await save(r, workflowId, postmortemFile);
  }
}
