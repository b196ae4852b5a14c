/**
 * Workflow kinds on the client side: the registry (one entry per kind, runbook today), the run
 * service starting and listing the kind asked for (runbook by default, byte for byte as before
 * kinds), alert routes naming a kind (default, explicit, unknown refused at load with its
 * position) and ingest starting that kind's workflow type. Fakes of the Temporal client; no server.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { createAlertTrigger } from '../../src/alerts';
import { createAlertIngest } from '../../src/alerts/ingest';
import type { AlertJournal, JournalEntry } from '../../src/alerts/journal';
import { createRouter } from '../../src/alerts/router';
import { ConfigError, loadConfig, type AppConfig } from '../../src/config/load';
import type { AlertRouteConfig } from '../../src/config/schema';
import { RunError } from '../../src/runs/errors';
import { WORKFLOW_KIND_REGISTRY, workflowKind } from '../../src/runs/kinds';
import { createRunService } from '../../src/runs/service';
import type { AlertInstance } from '../../src/shared/alert';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import {
  DEFAULT_WORKFLOW_KIND,
  isWorkflowKind,
  WORKFLOW_KINDS,
  type WorkflowKind,
} from '../../src/shared/workflow-kinds';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { TEST_KEYS } from '../support/signing';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';

const library = libraryOf(
  runbookFromYaml(
    'id: rb\ntitle: RB\nservice: "${{ params.service }}"\nseverity: high\nparams:\n  service: { type: string }\nsteps:\n  - id: w\n    wait: 1s\n',
  ),
);
const ctx = { library, config: { approverGroups: {} } };
const names = (sa: ReadonlyArray<{ key: { name: string }; value: unknown }>) => sa.map((p) => [p.key.name, p.value]);

describe('the registry', () => {
  it('has one entry per kind, each under its own name, runbook the default', () => {
    expect(Object.keys(WORKFLOW_KIND_REGISTRY).sort()).toEqual([...WORKFLOW_KINDS].sort());
    for (const k of WORKFLOW_KINDS) expect(WORKFLOW_KIND_REGISTRY[k].kind).toBe(k);
    expect(DEFAULT_WORKFLOW_KIND).toBe('runbook');
    expect(workflowKind()).toBe(WORKFLOW_KIND_REGISTRY.runbook);
    expect([isWorkflowKind('runbook'), isWorkflowKind('incident'), isWorkflowKind('drill'), isWorkflowKind(1)]).toEqual(
      [true, true, false, false],
    );
    expect(WORKFLOW_KIND_REGISTRY.incident.workflowType).toBe('incidentWorkflow');
  });

  it('refuses a kind it does not know (a route or def built in code)', () => {
    expect(() => workflowKind('drill' as WorkflowKind)).toThrow(
      "unknown workflow kind 'drill' (known: runbook, incident, backup, restore-verification, dr-failover, chaos-drill)",
    );
  });

  it('runbook: starts runbookWorkflow; its target is a runbook id in the library', () => {
    const k = workflowKind('runbook');
    expect({ workflowType: k.workflowType, noun: k.targetNoun }).toEqual({
      workflowType: RUNBOOK_WORKFLOW,
      noun: 'runbook',
    });
    expect([k.targetExists(ctx, 'rb'), k.targetExists(ctx, 'nope')]).toEqual([true, false]);
  });

  it('runbook: prepares the pinned runbook, validated params, search attributes and summary', () => {
    const p = workflowKind('runbook').prepare(ctx, {
      target: 'rb',
      params: { service: 'pay' },
      trigger: { source: 'api', requestedBy: 'alice' },
    });
    expect(p).toMatchObject({
      kind: 'runbook',
      workflowType: 'runbookWorkflow',
      target: 'rb',
      params: { service: 'pay' },
      input: { runbook: { id: 'rb' }, params: { service: 'pay' }, dryRun: false, trigger: { requestedBy: 'alice' } },
      staticSummary: 'RB (rb) service=pay',
      workflowIdPrefix: 'rb',
    });
    expect(names(p.typedSearchAttributes)).toEqual([
      ['RunbookId', 'rb'],
      ['TriggerSource', 'api'],
      ['RequestedBy', 'alice'],
      ['Phase', 'starting'],
      ['Service', 'pay'],
      ['Severity', 'high'],
    ]);
  });

  it('runbook: refuses a missing runbook (404, field runbook) and params that do not fit (400)', () => {
    const k = workflowKind('runbook');
    const trigger = { source: 'api' as const, requestedBy: 'alice' };
    expect(() => k.prepare(ctx, { target: 'nope', params: {}, trigger })).toThrow(
      new RunError('not_found', "no runbook 'nope'", 'runbook'),
    );
    expect(() => k.prepare(ctx, { target: 'rb', params: {}, trigger })).toThrow(RunError);
  });
});

/** A Temporal client that records what the service sends. */
function fakeClient() {
  const sent: { start: Array<{ type: string; o: Record<string, unknown> }>; queries: string[] } = {
    start: [],
    queries: [],
  };
  const client = {
    connection: { withDeadline: (_d: number, fn: () => unknown) => fn() },
    workflow: {
      start: async (type: string, o: Record<string, unknown>) => {
        sent.start.push({ type, o });
        return { firstExecutionRunId: 'run-1' };
      },
      list: (o: { query: string }) => {
        sent.queries.push(o.query);
        return (async function* () {})();
      },
      count: async (q: string) => {
        sent.queries.push(q);
        return { count: 0 };
      },
    },
  } as unknown as Client;
  return { client, sent };
}

describe('the run service', () => {
  const config = {
    taskQueue: 'q',
    approverGroups: {},
    uiUrl: 'http://ui',
    namespace: 'default',
    signingKeys: () => TEST_KEYS,
  } as unknown as AppConfig;
  const trigger = { source: 'api' as const, requestedBy: 'alice' };

  it('starts runbookWorkflow when no kind is named, with the same request hash and workflow id as before kinds', async () => {
    const { client, sent } = fakeClient();
    const runs = createRunService({ client, config, library: () => library });
    const started = await runs.start({ runbookId: 'rb', params: { service: 'pay' }, idempotencyKey: 'k1', trigger });
    const [s] = sent.start;
    expect(s?.type).toBe('runbookWorkflow');
    // Pinned with the code before kinds: a retry of an idempotent request after the upgrade is
    // recognised as the same request (same workflow id, same memo), not refused as a conflict.
    expect(started.workflowId).toBe('rb-k6ab9f1eb8f7d3388f4f9');
    expect(s?.o.memo).toEqual({ requestHash: '1eb0c8bf68cc504037bf9fded9bf5214446b75b4b99848b0e0110240d099d302' });
    expect(s?.o).toMatchObject({ taskQueue: 'q', workflowIdReusePolicy: 'REJECT_DUPLICATE' });
  });

  it('starts the kind named, its target by id: the same start as the runbook form', async () => {
    const { client, sent } = fakeClient();
    const runs = createRunService({ client, config, library: () => library });
    const a = await runs.start({ runbookId: 'rb', params: { service: 'pay' }, idempotencyKey: 'k1', trigger });
    const b = await runs.start({
      kind: 'runbook',
      target: 'rb',
      params: { service: 'pay' },
      idempotencyKey: 'k1',
      trigger,
    });
    expect(b.workflowId).toBe(a.workflowId);
    const [first, second] = sent.start;
    // The same start, signed alike (each signature expires its own moment after it was made).
    const comparable = (x: (typeof sent.start)[number] | undefined) => {
      const [arg] = x?.o.args as [RunbookWorkflowInput];
      const { expiresAt, ...claims } = arg.signed?.payload ?? ({} as Record<string, unknown>);
      expect(typeof expiresAt).toBe('string');
      return { ...x, o: { ...x?.o, typedSearchAttributes: undefined, args: [{ ...arg, signed: claims }] } };
    };
    expect(comparable(second)).toEqual(comparable(first));
  });

  it('lists runbook runs by default and the kind asked for', async () => {
    const { client, sent } = fakeClient();
    const runs = createRunService({ client, config, library: () => library });
    await runs.list({ runbook: 'rb' });
    await runs.list({ kind: 'runbook' });
    await runs.runningByRunbook();
    expect(sent.queries).toEqual([
      "WorkflowType = 'runbookWorkflow' AND RunbookId = 'rb'",
      "WorkflowType = 'runbookWorkflow'",
      "WorkflowType = 'runbookWorkflow' AND ExecutionStatus = 'Running' AND RunbookId = 'rb'",
    ]);
  });
});

describe('alert routes name a kind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'route-kind-'));
  const configWith = (routeLines: string[]): string => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, ['alerts:', '  routes:', ...routeLines.map((l) => `    ${l}`), ''].join('\n'));
    return path;
  };
  const load = (path: string) => loadConfig({ RUNBOOKS_CONFIG: path, RUNBOOKS_DATA_DIR: dir }, dir);
  const route = ['- id: down', '  match: { labels: { alertname: Down } }', '  runbook: rb', '  owner: bot'];

  it('defaults to runbook', () => {
    const c = load(configWith(route));
    expect(c.alerts.routes[0]?.kind).toBeUndefined();
    expect(createRouter(c.alerts.routes, () => true).routes[0]).toMatchObject({
      kind: 'runbook',
      target: 'rb',
      runbook: 'rb',
    });
  });

  it('takes kind: runbook explicitly, the same route', () => {
    const c = load(configWith([...route, '  kind: runbook']));
    expect(c.alerts.routes[0]?.kind).toBe('runbook');
    expect(createRouter(c.alerts.routes, () => true).routes[0]).toMatchObject({ kind: 'runbook', target: 'rb' });
  });

  it('refuses an unknown kind at load, with file, line and column', () => {
    const path = configWith([...route, '  kind: incidnet']);
    expect(() => load(path)).toThrow(ConfigError);
    expect(() => load(path)).toThrow(
      `${path}:7:13: alerts.routes[0].kind: unknown workflow kind "incidnet": one of runbook`,
    );
  });

  it('has its target checked through its kind when the trigger is built', () => {
    const asked: Array<[string, WorkflowKind]> = [];
    createRouter(
      [{ id: 'r', match: {}, runbook: 'rb', params: {}, owner: 'bot' }],
      (id, kind) => (asked.push([id, kind]), true),
    );
    expect(asked).toEqual([['rb', 'runbook']]);
    const routes: AlertRouteConfig[] = [{ id: 'r', match: {}, runbook: 'gone', params: {}, owner: 'bot' }];
    expect(() => createRouter(routes, () => false)).toThrow("alerts.routes[0].runbook: no runbook 'gone'");
  });

  it('is shown with each route the trigger reads out, the default written', () => {
    const trigger = createAlertTrigger({
      client: {} as Client,
      config: {
        taskQueue: 'q',
        approverGroups: {},
        signingKeys: () => TEST_KEYS,
        alerts: {
          routes: [{ id: 'r', match: {}, runbook: 'rb', params: {}, owner: 'bot' }],
          maxInFlight: 1,
          coalesceMs: 0,
          journalDir: dir,
        },
      },
      library: () => library,
      call: (fn) => fn(),
    });
    expect(trigger.routes).toEqual([expect.objectContaining({ id: 'r', kind: 'runbook', runbook: 'rb' })]);
  });
});

describe('ingest starts the route kind', () => {
  const alert: AlertInstance = {
    source: 'alertmanager',
    status: 'firing',
    fingerprint: 'f1',
    startsAt: '2026-11-23T10:00:00.000Z',
    labels: { alertname: 'Down', service: 'x' },
    annotations: {},
    links: [],
  };

  function ingestWith(routes: AlertRouteConfig[]) {
    const sent: Array<{ type: string; o: { args: unknown[]; signal: unknown } }> = [];
    const journalled: Array<Omit<JournalEntry, 'at'>> = [];
    const journal: AlertJournal = { record: async (e) => void journalled.push(e), list: async () => [] };
    const ingest = createAlertIngest({
      client: {
        workflow: {
          signalWithStart: async (type: string, o: (typeof sent)[number]['o']) => void sent.push({ type, o }),
        },
      } as unknown as Client,
      config: {
        taskQueue: 'q',
        approverGroups: {},
        alerts: { routes, maxInFlight: 10, coalesceMs: 0, journalDir: '' },
        signingKeys: () => TEST_KEYS,
      },
      library: () => library,
      router: createRouter(routes, () => true),
      journal,
      call: (fn) => fn(),
    });
    return { ingest, sent, journalled };
  }

  it("signals-with-start the kind's workflow type with the kind's prepared input", async () => {
    const { ingest, sent } = ingestWith([
      {
        id: 'down',
        kind: 'runbook',
        match: {},
        runbook: 'rb',
        params: { service: '${{ alert.labels.service }}' },
        owner: 'bot',
      },
    ]);
    expect(await ingest.ingest('alertmanager', [alert])).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
    expect(sent.map((s) => s.type)).toEqual(['runbookWorkflow']);
    expect(sent[0]?.o.args[0]).toMatchObject({
      runbook: { id: 'rb' },
      params: { service: 'x' },
      alert: { route: 'down' },
    });
  });

  it('explain and the journal report the kind and target', async () => {
    const { ingest, journalled } = ingestWith([
      { id: 'down', match: {}, runbook: 'rb', params: {}, owner: 'bot' }, // service missing: unstartable
    ]);
    expect(ingest.explain(alert)).toMatchObject({
      route: 'down',
      target: { kind: 'runbook', id: 'rb' },
      runbook: 'rb',
      problem: expect.stringMatching(/^cannot start rb: /),
    });
    expect(await ingest.ingest('alertmanager', [alert])).toEqual([expect.objectContaining({ outcome: 'unstartable' })]);
    expect(journalled).toEqual([
      expect.objectContaining({ kind: 'unstartable', route: 'down', target: { kind: 'runbook', id: 'rb' } }),
    ]);
  });
});
