/**
 * The `runbook` CLI as users run it: bin/runbook as a child process, against the real API, a real
 * worker and the shared Temporal dev server, acting on a loopback HTTP target.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Plan } from '../../src/runbooks/plan';
import type { RunDetail, RunSummary } from '../../src/runs/service';
import type { RunPhase } from '../../src/shared/status';
import { startApiStack, TOKENS, type ApiStack } from '../support/api-stack';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { connectTestEnv } from '../support/temporal';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/runbook');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');

let env: TestWorkflowEnvironment;
let target: Receiver;
let stack: ApiStack;
const children = new Set<ChildProcess>();

function gatedYaml(url: string): string {
  return `
id: gated-restart
title: Gated restart
description: Probes the service, asks a second person, then restarts it.
service: \${{ params.service }}
severity: sev3
tags: [test, restart]
params:
  service: { type: string, description: Service to restart }
  count: { type: int, default: 1 }
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${url}/health" }
  - id: approve
    approval: { message: "Restart \${{ params.service }}?" }
    timeout: 10m
  - id: restart
    action: http:request:send
    with: { method: POST, url: "${url}/restart", body: { service: "\${{ params.service }}" } }
`;
}

const probeOnlyYaml = (url: string): string => `
id: probe-only
title: Probe only
emergency:
  requesters: [alice]
steps:
  - id: probe
    action: http:endpoint:check
    with: { url: "${url}/health" }
`;

beforeAll(async () => {
  // The global setup built dist/ (npm run build); bin/runbook runs dist/src/cli/main.js.
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run the tests with \`npm test\` (its global setup builds dist/)`);
  env = await connectTestEnv();
  target = await startReceiver();
  target.on('/health', () => ({ status: 200, body: { ok: true } }));
  target.on('/restart', () => ({ status: 202, body: { restarted: true } }));
  stack = await startApiStack(
    env,
    libraryOf(runbookFromYaml(gatedYaml(target.url)), runbookFromYaml(probeOnlyYaml(target.url))),
    {
      alerts: {
        journalDir: mkdtempSync(path.join(tmpdir(), 'cli-journal-')),
        routes: [
          {
            id: 'gated',
            match: { labels: { alertname: 'GatedDown' } },
            runbook: 'gated-restart',
            params: { service: '${{ alert.labels.service }}' },
            owner: 'alertmanager',
          },
        ],
      },
    },
  );
}, 180_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await stack?.close();
  await target?.close();
  await env?.teardown();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return spawnWatched(cmd, args, o).done;
}

interface Watched {
  done: Promise<Result>;
  /** Resolves with the first match of `re` in stdout so far (as output arrives, no polling). */
  waitForStdout(re: RegExp): Promise<RegExpMatchArray>;
}

function spawnWatched(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv }): Watched {
  const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  const waitForStdout = (re: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = re.exec(stdout);
        if (m) resolve(m);
        return m !== null;
      };
      if (check()) return;
      child.stdout.on('data', check);
      void done.then((r) =>
        reject(new Error(`exited ${r.code} before printing ${re}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)),
      );
    });
  return { done, waitForStdout };
}

/** Runs bin/runbook as alice unless told otherwise; `token: null` leaves RUNBOOK_TOKEN unset. */
function runbook(args: string[], o: { token?: string | null; api?: string } = {}): Watched {
  const e: NodeJS.ProcessEnv = { ...process.env, RUNBOOK_API: o.api ?? stack.url };
  delete e.RUNBOOK_TOKEN;
  const token = o.token === undefined ? TOKENS.alice : o.token;
  if (token !== null) e.RUNBOOK_TOKEN = token;
  return spawnWatched(BIN, args, { env: e });
}

const cli = (args: string[], o: { token?: string | null; api?: string } = {}): Promise<Result> => runbook(args, o).done;

async function json<T>(args: string[], o: { token?: string | null } = {}): Promise<T> {
  const r = await cli([...args, '--json'], o);
  if (r.code !== 0) throw new Error(`runbook ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Polls `status --json` (each poll a whole CLI process) until the run reaches the phase; a run
 * that closes first ends the wait at once, as a failure naming how it closed.
 */
async function waitForPhase(workflowId: string, phase: RunPhase): Promise<RunDetail> {
  const d = await waitFor(`run ${workflowId} in phase ${phase} (runbook status --json)`, async () => {
    const d = await json<RunDetail>(['status', workflowId], { token: TOKENS.viewer });
    return (d.run?.phase === phase || d.status !== 'RUNNING') && d;
  });
  if (d.run?.phase !== phase)
    throw new Error(`run closed as ${d.status} (phase ${d.run?.phase}) while waiting for ${phase}`);
  return d;
}

const restarts = (service: string): number =>
  target.received.filter((r) => r.path === '/restart' && JSON.parse(r.body).service === service).length;

test('list, show and plan describe the library in tables and in JSON', async () => {
  const list = await cli(['list'], { token: TOKENS.viewer });
  expect(list).toMatchObject({ code: 0, stderr: '' });
  expect(list.stdout).toMatch(/^ID\s+TITLE\s+PARAMS\s+TAGS$/m);
  expect(list.stdout).toMatch(/^gated-restart {2}Gated restart {2}service\*, count {2}test, restart$/m);
  expect(list.stdout).toMatch(/^probe-only {5}Probe only$/m);
  const listed = await json<{ runbooks: Array<{ id: string; file: string }> }>(['list'], { token: TOKENS.viewer });
  expect(listed.runbooks.map((r) => [r.id, r.file]).sort()).toEqual([
    ['gated-restart', 'gated-restart.yaml'],
    ['probe-only', 'probe-only.yaml'],
  ]);

  const show = await cli(['show', 'gated-restart'], { token: TOKENS.viewer });
  expect(show.code).toBe(0);
  expect(show.stdout).toMatch(/^runbook +gated-restart: Gated restart$/m);
  expect(show.stdout).toContain('Probes the service, asks a second person, then restarts it.');
  expect(show.stdout).toMatch(/^service +string +yes +Service to restart$/m);
  expect(show.stdout).toMatch(/^count +int +no +1$/m);
  expect(show.stdout).toMatch(/^probe +action +http:endpoint:check +no$/m);
  expect(show.stdout).toMatch(/^approve +approval +no +Restart \$\{\{ params\.service \}\}\?$/m);
  expect(show.stdout).toMatch(/^restart +action +http:request:send +yes$/m);

  // Values go as strings; the API coerces them by the declared type.
  const plan = await cli(['plan', 'gated-restart', '-p', 'service=checkout', '--param', 'count=3'], {
    token: TOKENS.viewer,
  });
  expect(plan.code).toBe(0);
  expect(plan.stdout).toMatch(/^params +service=checkout count=3$/m);
  expect(plan.stdout).toMatch(/^STEP +KIND +RUNS +MUTATING +ACTION +DETAIL$/m);
  expect(plan.stdout).toMatch(/^approve +approval +yes +no +Restart checkout\?$/m);
  expect(plan.stdout).toContain(
    `restart  action    yes   yes       http:request:send    {"method":"POST","url":"${target.url}/restart","body":{"service":"checkout"}}`,
  );
  expect(plan.stdout).toMatch(/^mutating steps: restart$/m);
  const planned = await json<Plan>(['plan', 'gated-restart', '-p', 'service=checkout', '-p', 'count=3'], {
    token: TOKENS.viewer,
  });
  expect(planned).toMatchObject({
    runbook: { id: 'gated-restart' },
    params: { service: 'checkout', count: 3 },
    mutatingSteps: ['restart'],
  });
  expect(planned.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(restarts('checkout')).toBe(0);
});

test('start --wait follows a run to success while a second process approves it as bob', async () => {
  const first = runbook(['start', 'gated-restart', '-p', 'service=checkout', '--reason', 'disk full', '--wait']);
  const workflowId = (await first.waitForStdout(/^started +(gated-restart-\S+)$/m))[1] as string;

  const waiting = await waitForPhase(workflowId, 'waiting_approval');
  // The waiting process has seen it too (it polls on its own schedule): what an on-call sees before approving.
  await first.waitForStdout(
    /^approval needed on step approve: Restart checkout\?\n {2}decide with: runbook approve \S+ approve {3}or: runbook reject \S+ approve$/m,
  );
  expect(waiting.run?.pendingApprovals).toEqual([
    expect.objectContaining({ stepId: 'approve', message: 'Restart checkout?' }),
  ]);
  expect(restarts('checkout')).toBe(0);
  const status = await cli(['status', workflowId], { token: TOKENS.viewer });
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^phase +waiting_approval$/m);
  expect(status.stdout).toMatch(/^trigger +cli by alice: disk full$/m);
  expect(status.stdout).toMatch(/^probe +http:endpoint:check +succeeded +1 +\S/m);
  expect(status.stdout).toMatch(/^approve +approval +waiting +0 +waiting for approval: Restart checkout\?$/m);
  expect(status.stdout).toMatch(/^restart +http:request:send +pending +0$/m);
  expect(status.stdout).toMatch(
    /^PENDING APPROVALS\nSTEP +APPROVALS +ALLOWED +DEADLINE +MESSAGE\napprove +0\/1 +any approver +\S+ +Restart checkout\?$/m,
  );
  expect(status.stdout).toContain(`runbook approve ${workflowId} approve`);

  const approve = await cli(['approve', workflowId, 'approve', '-m', 'go ahead'], { token: TOKENS.bob });
  expect(approve).toMatchObject({ code: 0, stdout: `step approve of ${workflowId}: approved\n`, stderr: '' });

  const done = await first.done;
  expect(done).toMatchObject({ code: 0, stderr: '' });
  expect(done.stdout).toContain(`web ui   http://localhost:8233/namespaces/default/workflows/${workflowId}\n`);
  // Progress in the order it happened, then the final step table.
  const at = (re: RegExp): number => done.stdout.search(re);
  expect(at(/^phase waiting_approval$/m)).toBeGreaterThan(at(/^started /m));
  expect(at(/^approval needed on step approve/m)).toBeGreaterThan(at(/^phase waiting_approval$/m));
  expect(at(/^step approve succeeded: approved by bob via cli: go ahead$/m)).toBeGreaterThan(
    at(/^approval needed on step approve/m),
  );
  expect(at(/^step restart succeeded: /m)).toBeGreaterThan(at(/^step approve succeeded/m));
  expect(at(/^phase succeeded$/m)).toBeGreaterThan(at(/^step restart succeeded: /m));
  expect(done.stdout).toMatch(/^restart +http:request:send +succeeded +1 +\S.*\n\nrun succeeded\n$/m);
  expect(restarts('checkout')).toBe(1);

  const final = await json<RunDetail>(['status', workflowId], { token: TOKENS.viewer });
  expect(final).toMatchObject({
    workflowId,
    status: 'COMPLETED',
    run: { phase: 'succeeded', trigger: { source: 'cli', requestedBy: 'alice', reason: 'disk full' } },
  });
  expect(final.run?.decisions).toEqual([
    expect.objectContaining({ stepId: 'approve', decision: 'approve', actor: 'bob', via: 'cli', comment: 'go ahead' }),
  ]);

  // Listing reads the visibility store, which catches up shortly after the run closes.
  const listed = await waitFor(`run ${workflowId} in runbook runs --json`, async () => {
    const { runs } = await json<{ runs: RunSummary[] }>(
      ['runs', '--runbook', 'gated-restart', '--phase', 'succeeded', '--service', 'checkout', '--limit', '10'],
      { token: TOKENS.viewer },
    );
    return runs.some((r) => r.workflowId === workflowId) && runs;
  });
  expect(
    listed.every((r) => r.runbookId === 'gated-restart' && r.phase === 'succeeded' && r.service === 'checkout'),
  ).toBe(true);
  const runs = await cli(['runs', '--runbook', 'gated-restart', '--phase', 'succeeded'], { token: TOKENS.viewer });
  expect(runs.stdout).toMatch(/^WORKFLOW ID +RUNBOOK +PHASE +SERVICE +EXECUTION +STARTED +BY +VIA$/m);
  expect(runs.stdout).toMatch(
    new RegExp(`^${workflowId} +gated-restart +succeeded +checkout +COMPLETED +\\S+ +alice +cli$`, 'm'),
  );
});

test('a rejection ends start --wait with exit 1 and nothing restarted; only approvers decide', async () => {
  const first = runbook(['start', 'gated-restart', '-p', 'service=payments', '--wait']);
  const workflowId = (await first.waitForStdout(/^started +(\S+)$/m))[1] as string;
  await waitForPhase(workflowId, 'waiting_approval');

  const byOperator = await cli(['approve', workflowId, 'approve']);
  expect(byOperator).toMatchObject({ code: 2, stdout: '' });
  expect(byOperator.stderr).toBe('runbook: alice lacks the approver role (field: authorization)\n');

  const reject = await cli(['reject', workflowId, 'approve', '-m', 'not during peak'], { token: TOKENS.bob });
  expect(reject).toMatchObject({ code: 0, stdout: `step approve of ${workflowId}: rejected\n` });

  const done = await first.done;
  expect(done.code).toBe(1);
  expect(done.stdout).toMatch(/\nrun rejected\n$/);
  expect(done.stdout).toMatch(/^restart +http:request:send +pending +0$/m);
  expect(done.stderr).toMatch(new RegExp(`^runbook: run ${workflowId} ended rejected: .*rejected by bob`, 'm'));
  expect(restarts('payments')).toBe(0);
});

test('an idempotency key names one run; cancel ends it and start --wait exits 1', async () => {
  const key = `cli-test-${Date.now()}`;
  const a = await cli(['start', 'gated-restart', '-p', 'service=search', '--idempotency-key', key]);
  expect(a.code).toBe(0);
  const workflowId = (/^started +(\S+)$/m.exec(a.stdout) as RegExpExecArray)[1] as string;
  expect(a.stdout).not.toContain('already started');

  // The same request again (here also waiting) attaches to the same run.
  const waiter = runbook(['start', 'gated-restart', '-p', 'service=search', '--idempotency-key', key, '--wait']);
  await waiter.waitForStdout(
    new RegExp(`^started +${workflowId}\\nnote +already started by an earlier request with this idempotency key$`, 'm'),
  );
  const conflict = await cli(['start', 'gated-restart', '-p', 'service=other', '--idempotency-key', key]);
  expect(conflict).toMatchObject({
    code: 2,
    stderr: 'runbook: idempotencyKey was already used for a different request (field: idempotencyKey)\n',
  });

  await waitForPhase(workflowId, 'waiting_approval');
  const cancel = await cli(['cancel', workflowId]);
  expect(cancel).toMatchObject({ code: 0, stdout: `cancellation requested for ${workflowId} by alice\n` });

  const done = await waiter.done;
  expect(done.code).toBe(1);
  expect(done.stdout).toMatch(/^phase cancelled$/m);
  expect(done.stderr).toMatch(new RegExp(`^runbook: run ${workflowId} ended cancelled`, 'm'));
  expect(restarts('search')).toBe(0);
});

test('start --dry-run --wait --json prints the finished run as one JSON document', async () => {
  const r = await cli(['start', 'gated-restart', '-p', 'service=dry', '--dry-run', '--wait', '--json']);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  const d = JSON.parse(r.stdout) as RunDetail;
  expect(d).toMatchObject({
    status: 'COMPLETED',
    run: { phase: 'succeeded', dryRun: true, params: { service: 'dry', count: 1 } },
  });
  expect(d.run?.steps.find((s) => s.id === 'restart')?.note).toMatch(/^dry run: would call http:request:send/);
  expect(restarts('dry')).toBe(0);

  const quick = await json<{ workflowId: string; url: string; created: boolean }>(['start', 'probe-only']);
  expect(quick).toMatchObject({
    workflowId: expect.stringMatching(/^probe-only-/),
    created: true,
    url: expect.stringContaining(quick.workflowId),
  });
});

test('bad input exits 2 and says what was wrong, naming the field', async () => {
  const badParam = await cli(['start', 'gated-restart', '-p', 'service=x', '-p', 'count=three']);
  expect(badParam).toMatchObject({
    code: 2,
    stdout: '',
    stderr: 'runbook: params.count: expected an integer (field: params.count)\n',
  });
  const missing = await cli(['plan', 'gated-restart'], { token: TOKENS.viewer });
  expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('(field: params.service)') });

  const malformed = await cli(['plan', 'gated-restart', '-p', 'service'], { token: TOKENS.viewer });
  expect(malformed).toMatchObject({ code: 2, stdout: '' });
  expect(malformed.stderr).toContain("argument 'service' is invalid. expected key=value");

  expect(await cli(['show', 'nope'], { token: TOKENS.viewer })).toMatchObject({
    code: 2,
    stderr: "runbook: no runbook 'nope' (field: id)\n",
  });
  expect(await cli(['start', 'nope'])).toMatchObject({
    code: 2,
    stderr: "runbook: no runbook 'nope' (field: runbook)\n",
  });
  expect(await cli(['status', 'no-such-run'], { token: TOKENS.viewer })).toMatchObject({
    code: 2,
    stderr: "runbook: no run 'no-such-run'\n",
  });

  const unknownOption = await cli(['list', '--bogus'], { token: TOKENS.viewer });
  expect(unknownOption).toMatchObject({ code: 2, stdout: '' });
  expect(unknownOption.stderr).toContain("error: unknown option '--bogus'");
  const unknownCommand = await cli(['frobnicate']);
  expect(unknownCommand).toMatchObject({
    code: 2,
    stderr: expect.stringContaining("error: unknown command 'frobnicate'"),
  });
  expect(await cli(['runs', '--limit', 'lots'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining("argument 'lots' is invalid"),
  });
  expect(await cli(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Exit codes:') });
});

test('start --emergency: only for whom the runbook names; otherwise exit 2 with the reason, audited as refused', async () => {
  expect(await cli(['start', 'gated-restart', '-p', 'service=x', '--emergency'])).toEqual({
    code: 2,
    stdout: '',
    stderr:
      "runbook: runbook 'gated-restart' cannot be started as an emergency: it declares no emergency.requesters (field: emergency)\n",
  });
  expect(await cli(['start', 'probe-only', '--emergency'], { token: TOKENS.admin })).toEqual({
    code: 2,
    stdout: '',
    stderr:
      "runbook: admin may not start 'probe-only' as an emergency (emergency.requesters: alice) (field: emergency)\n",
  });
  const audit = await json<{ entries: Array<Record<string, unknown>> }>(['audit', '--limit', '2'], {
    token: TOKENS.admin,
  });
  expect(audit.entries).toEqual([
    expect.objectContaining({ identity: 'admin', action: 'POST /v1/runs', channel: 'cli', status: 403 }),
    expect.objectContaining({ identity: 'alice', action: 'POST /v1/runs', channel: 'cli', outcome: 'refused' }),
  ]);
  const started = await json<RunDetail>(['start', 'probe-only', '--emergency', '--wait']);
  expect(started).toMatchObject({ status: 'COMPLETED', run: { phase: 'succeeded', emergency: true } });
});

test('tokens: none or a wrong one exits 2 pointing at RUNBOOK_TOKEN; --token overrides the env', async () => {
  const none = await cli(['list'], { token: null });
  expect(none).toMatchObject({ code: 2, stdout: '' });
  expect(none.stderr).toMatch(
    /^runbook: a valid bearer token is required \(field: authorization\): no token was given\. Set RUNBOOK_TOKEN .*config\/dev\.yaml/,
  );
  const wrong = await cli(['list'], { token: 'not-a-token' });
  expect(wrong).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('the token was not accepted. Set RUNBOOK_TOKEN'),
  });
  const flag = await cli(['--token', TOKENS.viewer, 'list'], { token: 'not-a-token' });
  expect(flag).toMatchObject({ code: 0, stdout: expect.stringContaining('gated-restart') });
});

test('an unreachable API exits 1 with its URL; --api overrides RUNBOOK_API', async () => {
  const url = await closedPortUrl();
  const r = await cli(['list'], { api: url });
  expect(r).toMatchObject({ code: 1, stdout: '' });
  expect(r.stderr).toContain(`runbook: cannot reach the API at ${url} `);
  expect(r.stderr).toContain('ECONNREFUSED');
  const viaFlag = await cli(['--api', stack.url, 'list'], { api: url, token: TOKENS.viewer });
  expect(viaFlag.code).toBe(0);
});

test('bin/runbook without a build says to run npm run build and exits 2', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-bin-'));
  try {
    mkdirSync(path.join(dir, 'bin'));
    copyFileSync(BIN, path.join(dir, 'bin/runbook'));
    const r = await exec(path.join(dir, 'bin/runbook'), ['list']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('run `npm run build` first');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A loopback URL where nothing listens (a port just released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

test('the kill switch: admins freeze and unfreeze with a reason, everyone sees the audit', async () => {
  expect(await cli(['freeze', '-m', 'why'], { token: TOKENS.admin })).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('exactly one of --all, --service'),
  });
  expect(await cli(['freeze', '--service', 'checkout', '-m', 'incident 7'], { token: TOKENS.alice })).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('alice lacks the admin role'),
  });
  const frozen = await cli(['freeze', '--service', 'checkout', '-m', 'incident 7'], { token: TOKENS.admin });
  expect({ code: frozen.code, stderr: frozen.stderr }).toEqual({ code: 0, stderr: '' });
  const id = (/^freeze (\S+) in force: service=checkout/m.exec(frozen.stdout) as RegExpExecArray)[1] as string;
  const listed = await cli(['freezes'], { token: TOKENS.viewer });
  expect(listed.stdout).toMatch(new RegExp(`${id}\\s+service=checkout\\s+admin`));
  expect(await cli(['unfreeze', 'nope', '-m', 'x'], { token: TOKENS.admin })).toMatchObject({
    code: 2,
    stderr: expect.stringContaining("no freeze 'nope' is in force"),
  });
  expect(await cli(['unfreeze', id, '-m', 'incident over'], { token: TOKENS.admin })).toMatchObject({
    code: 0,
    stdout: expect.stringContaining(`freeze ${id} lifted`),
  });
  const state = await json<{ freezes: unknown[]; audit: Array<{ action: string; by: string; reason: string }> }>(
    ['freezes'],
    { token: TOKENS.viewer },
  );
  expect(state.freezes).toEqual([]);
  expect(state.audit.slice(-2).map((a) => [a.action, a.by, a.reason])).toEqual([
    ['freeze', 'admin', 'incident 7'],
    ['unfreeze', 'admin', 'incident over'],
  ]);
});

test('alerts: routes, a dry routing test and the journal; bad input exits 2', async () => {
  const routes = await cli(['alerts', 'routes']);
  expect(routes.code).toBe(0);
  expect(routes.stdout).toMatch(
    /gated\s+alertname=GatedDown\s+gated-restart\s+service=\$\{\{ alert\.labels\.service \}\}\s+alertmanager/,
  );
  const t = await json<{ route: string; runbook: string; params: Record<string, unknown>; workflowId: string }>([
    'alerts',
    'test',
    '-l',
    'alertname=GatedDown',
    '-l',
    'service=api',
  ]);
  expect(t).toMatchObject({
    route: 'gated',
    runbook: 'gated-restart',
    params: { service: 'api', count: 1 },
    workflowId: expect.stringMatching(/^alert-gated-/),
  });
  const none = await cli(['alerts', 'test', '-l', 'alertname=Other']);
  expect(none).toMatchObject({ code: 0, stdout: expect.stringContaining('no route matches') });
  expect(await cli(['alerts', 'journal'])).toMatchObject({
    code: 0,
    stdout: expect.stringContaining('no unrouted alerts'),
  });
  expect(await cli(['alerts', 'test', '-l', 'oops'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--label takes name=value'),
  });
  expect(await cli(['alerts', 'journal', '--kind', 'nope'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('kind'),
  });
});
