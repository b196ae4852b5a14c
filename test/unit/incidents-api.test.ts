/**
 * Incidents on the client side, no server: the kind's start (severity on the configured ladder,
 * unknown params refused, one workflow id per service), the routes with Fastify's inject over a
 * fake service (the actor from the token, 400 naming the field, 403 without the role), and
 * `runbook incidents ...` sending those bodies (exit 2 on bad input before anything is sent).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { registerIncidentCommands } from '../../src/cli/commands/incidents';
import { EXIT } from '../../src/cli/errors';
import { loadConfig } from '../../src/config/load';
import { incidentKind, incidentWorkflowId } from '../../src/runs/incident-kind';
import { RunError } from '../../src/runs/errors';
import type { IncidentService } from '../../src/runs/incidents';
import type { RunService } from '../../src/runs/service';
import type { IncidentAction } from '../../src/shared/incident-messages';
import { runCli } from '../support/cli-run';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';

const config = loadConfig({}, process.cwd());
const library = libraryOf(
  runbookFromYaml(
    'id: restart\ntitle: Restart\nparams:\n  service: { type: string }\nsteps:\n  - id: w\n    wait: 1s\n',
  ),
);
const trigger = { source: 'alert' as const, requestedBy: 'alertmanager' };

describe('the incident kind', () => {
  const prepare = (params: Record<string, unknown>, target = 'none') =>
    incidentKind.prepare(
      { library, config: { ...config, incidents: { ...config.incidents, severityLabels: 'P0-P3' } } },
      { target, params, trigger },
    );

  it('reads severity on the configured ladder and signs the rules with the params', () => {
    const p = prepare({ title: 'checkout down', severity: 'P0', service: 'checkout' }, 'restart');
    expect(p.params).toEqual({ title: 'checkout down', severity: 'sev1', service: 'checkout' });
    expect(p.workflowIdPrefix).toBe('incident-checkout');
    expect(incidentKind.exactWorkflowId?.(p)).toBe('incident-checkout');
    expect(p.input.definition.runbooks).toEqual([{ id: 'restart', params: { service: 'checkout' } }]);
    expect(p.intent.definition).toBe(p.input.definition);
    expect(p.typedSearchAttributes.map((a) => [a.key.name, a.value])).toEqual([
      ['Severity', 'sev1'],
      ['Service', 'checkout'],
      ['TriggerSource', 'alert'],
      ['RequestedBy', 'alertmanager'],
      ['Phase', 'triage'],
    ]);
  });

  it('refuses what an incident does not take, naming the field', () => {
    const refused = (params: Record<string, unknown>, target?: string) => {
      try {
        prepare(params, target);
      } catch (err) {
        return [(err as RunError).kind, (err as RunError).field, (err as Error).message];
      }
      throw new Error('accepted');
    };
    expect(refused({ severity: 'urgent' })).toEqual([
      'invalid',
      'params.severity',
      expect.stringMatching(/on no rung/),
    ]);
    expect(refused({ colour: 'red' })).toEqual(['invalid', 'params.colour', expect.stringMatching(/unknown param/)]);
    expect(refused({ title: 'x'.repeat(201) })).toEqual(['invalid', 'params.title', expect.stringMatching(/longer/)]);
    expect(refused({}, 'no-such')).toEqual(['not_found', 'runbook', "no runbook 'no-such'"]);
  });

  it('names one workflow per service, distinct for services that slug alike', () => {
    expect(incidentWorkflowId('checkout')).toBe('incident-checkout');
    expect(incidentWorkflowId(undefined)).toBe('incident-unscoped');
    expect(incidentWorkflowId('Check Out')).not.toBe(incidentWorkflowId('check-out'));
    expect(incidentWorkflowId('Check Out')).toMatch(/^incident-check-out-[0-9a-f]{8}$/);
  });

  it('opens no incident from a resolved alert, and none from a schedule', () => {
    expect(incidentKind.resolvedStarts).toBe(false);
    expect(() => incidentKind.scheduled({} as never, { scheduleId: 's' })).toThrow(/not opened by schedules/);
  });
});

function api() {
  const acted: Array<{ id: string; action: IncidentAction; actor: string; via: string }> = [];
  const opened: unknown[] = [];
  const incidents = {
    open: async (req: unknown) => {
      opened.push(req);
      return { workflowId: 'incident-checkout', runId: 'r', url: 'u', created: true };
    },
    list: async () => [],
    get: async () => ({ workflowId: 'incident-checkout', status: 'RUNNING', url: 'u', incident: null }),
    act: async (id: string, action: IncidentAction, who: { actor: string; via: string }) => {
      if (action.kind === 'ack' && id === 'INC-done') throw new RunError('conflict', 'INC-done is closed', 'action');
      acted.push({ id, action, actor: who.actor, via: who.via });
      return {
        accepted: true as const,
        state: 'acknowledged' as const,
        text: 'ok',
        incidentId: 'INC-1',
        workflowId: id,
      };
    },
    report: async () => ({ since: 's', incidents: 0, bySeverity: [], byService: [] }),
    locate: async () => ({ workflowId: 'x' }),
  } as unknown as IncidentService;
  const app = buildApp({
    runs: { ready: async () => true } as unknown as RunService,
    library: () => library,
    tokens: config.tokens,
    registry: new Registry(),
    incidents,
  });
  return { app, acted, opened };
}

const alice = { authorization: 'Bearer dev-alice-operator' };
const viewer = { authorization: 'Bearer dev-viewer-token' };

describe('the routes', () => {
  it('opens an incident as the token says, and acts as the token says', async () => {
    const { app, acted, opened } = api();
    const o = await app.inject({
      method: 'POST',
      url: '/v1/incidents',
      headers: alice,
      payload: { title: 'down', severity: 'sev1', service: 'checkout' },
    });
    expect(o.statusCode).toBe(201);
    expect(opened).toEqual([
      expect.objectContaining({ title: 'down', severity: 'sev1', service: 'checkout', actor: 'alice', via: 'api' }),
    ]);
    const a = await app.inject({
      method: 'POST',
      url: '/v1/incidents/incident-checkout/actions',
      headers: alice,
      payload: { action: { kind: 'task', title: 'call security', assignee: 'erin', due: '30m' }, via: 'cli' },
    });
    expect(a.statusCode).toBe(200);
    expect(acted).toEqual([
      {
        id: 'incident-checkout',
        action: { kind: 'task', title: 'call security', assignee: 'erin', dueInMs: 1_800_000 },
        actor: 'alice',
        via: 'cli',
      },
    ]);
  });

  it.each([
    [{ action: { kind: 'severity', severity: 'sev9' } }, 'action.severity'],
    [{ action: { kind: 'assign', role: 'boss', who: 'x' } }, 'action.role'],
    [{ action: { kind: 'ack', actor: 'mallory' } }, 'action'],
    [{ action: { kind: 'task', title: 't', assignee: 'a', due: 'soon' } }, 'action.due'],
    [{ action: { kind: 'ack' }, actor: 'mallory' }, 'body'],
  ])('refuses %j with 400 naming %s', async (payload, field) => {
    const { app, acted } = api();
    const r = await app.inject({
      method: 'POST',
      url: '/v1/incidents/incident-checkout/actions',
      headers: alice,
      payload,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().field).toBe(field);
    expect(acted).toEqual([]);
  });

  it('needs the operator role to act, answers the incident refusal as 409', async () => {
    const { app } = api();
    const forbidden = await app.inject({
      method: 'POST',
      url: '/v1/incidents/x/actions',
      headers: viewer,
      payload: { action: { kind: 'ack' } },
    });
    expect(forbidden.statusCode).toBe(403);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/incidents/INC-done/actions',
      headers: alice,
      payload: { action: { kind: 'ack' } },
    });
    expect([refused.statusCode, refused.json()]).toEqual([409, { error: 'INC-done is closed', field: 'action' }]);
    const report = await app.inject({ method: 'GET', url: '/v1/incidents/report?since=soon', headers: viewer });
    expect([report.statusCode, report.json().field]).toEqual([400, 'since']);
  });
});

describe('runbook incidents', () => {
  async function run(argv: string[]) {
    const sent: Array<{ method: string; path: string; body?: unknown }> = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      sent.push({
        method: init.method ?? 'GET',
        path: new URL(url).pathname + new URL(url).search,
        ...(init.body ? { body: JSON.parse(String(init.body)) } : {}),
      });
      return new Response(
        JSON.stringify({
          accepted: true,
          state: 'acknowledged',
          text: 'acknowledged by bob (cli)',
          incidentId: 'INC-1',
        }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      );
    }) as unknown as typeof fetch;
    return { ...(await runCli(argv, registerIncidentCommands, fakeFetch)), sent };
  }

  it.each([
    [['incidents', 'ack', 'INC-1'], { kind: 'ack' }],
    [['incidents', 'assign', 'INC-1', 'scribe', 'erin'], { kind: 'assign', role: 'scribe', who: 'erin' }],
    [['incidents', 'escalate', 'INC-1', '--level', 'manager'], { kind: 'escalate', level: 'manager' }],
    [
      ['incidents', 'update', 'INC-1', 'rolled back', '--status', 'monitoring'],
      { kind: 'update', text: 'rolled back', statusPage: true, status: 'monitoring' },
    ],
    [
      ['incidents', 'runbook', 'INC-1', 'restart', 'service=checkout'],
      { kind: 'runbook', runbook: 'restart', params: { service: 'checkout' } },
    ],
    [
      ['incidents', 'task', 'INC-1', 'erin', 'call security', '--due', '30m'],
      { kind: 'task', assignee: 'erin', title: 'call security', due: '30m' },
    ],
    [
      ['incidents', 'task-done', 'INC-1', 'task-1', '--not-done', '-m', 'no answer'],
      { kind: 'task-done', taskId: 'task-1', done: false, note: 'no answer' },
    ],
  ])('%j sends %j', async (argv, action) => {
    const r = await run(argv);
    expect(r.code).toBe(EXIT.ok);
    expect(r.sent).toEqual([{ method: 'POST', path: '/v1/incidents/INC-1/actions', body: { action, via: 'cli' } }]);
  });

  it.each([
    [['incidents', 'severity', 'INC-1', 'sev9']],
    [['incidents', 'task-done', 'INC-1', 'task-1', '--not-done']],
    [['incidents', 'report', '--since', 'lately']],
    [['incidents', 'runbook', 'INC-1', 'restart', 'oops']],
  ])('%j exits 2 and sends nothing', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.sent).toEqual([]);
  });
});

test('a channel naming no target is refused at load, with its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'incident-config-'));
  writeFileSync(
    join(dir, 'c.yaml'),
    'notify:\n  targets:\n    pager: { kind: pagerduty, devInbox: true }\napi: { devInbox: true }\nincidents:\n  channels:\n    page: [pager, pagerdty]\n    postmortem: pm\n',
  );
  expect(() => loadConfig({ RUNBOOKS_CONFIG: join(dir, 'c.yaml') }, dir, { tokens: false })).toThrow(
    /c\.yaml:7:19: incidents\.channels\.page\[1\]: no notify target 'pagerdty' \(known: pager\)[\s\S]*c\.yaml:8:17: incidents\.channels\.postmortem: no ticket target 'pm' \(known: none\)/,
  );
});
