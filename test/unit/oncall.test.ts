/**
 * Who is on call (seed 002): three follow-the-sun shifts with one-week round-robin turns, the
 * next primary as the default secondary, overrides with a start and an end (the last listed wins),
 * when the answer next changes; the `oncall:` configuration refused where it would be ambiguous;
 * `GET /v1/oncall` and `runbook oncall now|at <time>` (exit 2 on bad input).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/api/app';
import { registerOncallCommands } from '../../src/cli/commands/oncall';
import { loadConfig, sha256 } from '../../src/config/load';
import type { RunService } from '../../src/runs/service';
import { onCallAt } from '../../src/shared/oncall';
import { runCli } from '../support/cli-run';
import { libraryOf } from '../support/runbook-worker';

const dir = mkdtempSync(join(tmpdir(), 'cfg-oncall-'));
function load(yaml: string) {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return { path, config: () => loadConfig({ RUNBOOKS_CONFIG: path }, dir, { tokens: false }) };
}

// Seed 002's shape: us 00-08, eu 08-16, apac 16-24 UTC; turns of a week from Monday 2026-11-30.
const FOLLOW_THE_SUN = `
oncall:
  rotations:
    - { name: us, hours: "00:00-08:00", start: "2026-11-30T00:00:00Z", primary: [ana, ben, cai] }
    - { name: eu, hours: "08:00-16:00", start: "2026-11-30T00:00:00Z", primary: [dora, emil], secondary: [fay] }
    - { name: apac, hours: "16:00-24:00", start: "2026-11-30T00:00:00Z", turn: 1d, primary: [gus, hana] }
  overrides:
    - { rotation: eu, role: primary, who: ivan, start: "2026-12-02T10:00:00Z", end: "2026-12-02T12:00:00Z" }
    - { role: secondary, who: jo, start: "2026-12-02T11:00:00Z", end: "2026-12-02T13:00:00Z" }
`;
const oncall = () => load(FOLLOW_THE_SUN).config().oncall;
const at = (iso: string) => onCallAt(oncall(), Date.parse(iso));

test('follow-the-sun: the shift whose hours cover the time, its turn of the week, the next primary backing up', () => {
  expect(at('2026-12-01T03:00:00Z')).toEqual({
    at: '2026-12-01T03:00:00.000Z',
    rotation: 'us',
    primary: 'ana',
    secondary: 'ben',
    overridden: [],
    until: '2026-12-01T08:00:00.000Z',
  });
  expect(at('2026-12-08T03:00:00Z')).toMatchObject({ rotation: 'us', primary: 'ben', secondary: 'cai' });
  expect(at('2026-12-15T03:00:00Z')).toMatchObject({ primary: 'cai', secondary: 'ana' });
  // A listed secondary is its own round-robin; a day-long turn changes daily.
  expect(at('2026-12-01T09:00:00Z')).toMatchObject({ rotation: 'eu', primary: 'dora', secondary: 'fay' });
  expect(at('2026-12-01T17:00:00Z')).toMatchObject({ rotation: 'apac', primary: 'hana', secondary: 'gus' });
  expect(at('2026-12-01T23:59:00Z').until).toBe('2026-12-02T00:00:00.000Z');
  // Before the first turn: still someone, counting back.
  expect(at('2026-11-29T03:00:00Z')).toMatchObject({ primary: 'cai' });
});

test('overrides hold their role between start and end; the last listed wins; until names the next change', () => {
  expect(at('2026-12-02T10:30:00Z')).toMatchObject({
    rotation: 'eu',
    primary: 'ivan',
    secondary: 'fay',
    overridden: ['primary'],
    until: '2026-12-02T11:00:00.000Z',
  });
  expect(at('2026-12-02T11:30:00Z')).toMatchObject({
    primary: 'ivan',
    secondary: 'jo',
    overridden: ['primary', 'secondary'],
  });
  expect(at('2026-12-02T12:00:00Z')).toMatchObject({ primary: 'dora', secondary: 'jo', overridden: ['secondary'] });
  // An override of every rotation applies in another shift too; one of eu does not.
  expect(onCallAt({ ...oncall(), rotations: oncall().rotations }, Date.parse('2026-12-02T12:30:00Z'))).toMatchObject({
    secondary: 'jo',
  });
});

test('a day the rotations leave uncovered answers nobody, saying which rotations exist', () => {
  const gap = load(`
oncall:
  rotations:
    - { name: day, hours: "08:00-20:00", start: "2026-11-30T00:00:00Z", primary: [solo] }
`).config().oncall;
  expect(onCallAt(gap, Date.parse('2026-12-01T21:00:00Z'))).toEqual({ at: '2026-12-01T21:00:00.000Z', overridden: [] });
  // One person: nobody backs themselves up.
  expect(onCallAt(gap, Date.parse('2026-12-01T09:00:00Z'))).toMatchObject({ primary: 'solo', overridden: [] });
  expect(onCallAt(gap, Date.parse('2026-12-01T09:00:00Z')).secondary).toBeUndefined();
});

test('ambiguous or malformed on-call configuration is refused with its place', () => {
  const overlap = load(`
oncall:
  rotations:
    - { name: a, hours: "00:00-12:00", start: "2026-11-30T00:00:00Z", primary: [x] }
    - { name: b, hours: "11:00-20:00", start: "2026-11-30T00:00:00Z", primary: [y] }
`);
  expect(overlap.config).toThrow(`${overlap.path}:5:`);
  expect(overlap.config).toThrow("oncall.rotations[1].hours: overlaps rotation 'a' (at 11:00 UTC)");
  const unknown = load(`
oncall:
  rotations:
    - { name: a, start: "2026-11-30T00:00:00Z", primary: [x] }
  overrides:
    - { rotation: z, role: primary, who: q, start: "2026-12-01T00:00:00Z", end: "2026-12-02T00:00:00Z" }
`);
  expect(unknown.config).toThrow("oncall.overrides[0].rotation: no rotation 'z' (known: a)");
  const backwards = load(`
oncall:
  overrides:
    - { role: primary, who: q, start: "2026-12-02T00:00:00Z", end: "2026-12-01T00:00:00Z" }
`);
  expect(backwards.config).toThrow('oncall.overrides[0].end: end must be after start');
  expect(
    load('oncall:\n  rotations:\n    - { name: a, hours: "8-16", start: "2026-11-30T00:00:00Z", primary: [x] }\n')
      .config,
  ).toThrow('oncall.rotations[0].hours: HH:MM-HH:MM in UTC, e.g. 08:00-16:00');
});

describe('GET /v1/oncall and runbook oncall', () => {
  const app = buildApp({
    runs: {} as RunService,
    library: () => libraryOf(),
    tokens: [{ identity: 'viewer', roles: ['viewer'], sha256: sha256('unit-viewer-token') }],
    registry: new Registry(),
    oncall: oncall(),
  });
  const auth = { authorization: 'Bearer unit-viewer-token' };

  test('the API answers for a time, and 400 naming the field for a bad one', async () => {
    const ok = await app.inject({ url: '/v1/oncall?at=2026-12-01T09:00:00Z', headers: auth });
    expect(ok.json()).toMatchObject({ rotation: 'eu', primary: 'dora', rotations: ['us', 'eu', 'apac'] });
    const bad = await app.inject({ url: '/v1/oncall?at=tomorrow', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'at' });
    expect((await app.inject({ url: '/v1/oncall' })).statusCode).toBe(401);
  });

  const viaApp = (async (url: string) => {
    const u = new URL(url);
    const r = await app.inject({ url: `${u.pathname}${u.search}`, headers: auth });
    return new Response(r.body, { status: r.statusCode, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  const cli = (argv: string[]) => runCli(argv, registerOncallCommands, viaApp, { token: 'unit-viewer-token' });

  test('oncall at <time> prints the shift; bad input exits 2 with a message', async () => {
    const r = await cli(['oncall', 'at', '2026-12-02T10:30:00Z']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain('rotation   eu');
    expect(r.out).toContain('primary    ivan (override)');
    expect(r.out).toContain('secondary  fay');
    expect(await cli(['oncall', 'at'])).toMatchObject({
      code: 2,
      err: 'oncall at needs a time, e.g. oncall at 2026-12-01T09:30:00Z',
    });
    expect(await cli(['oncall', 'soon'])).toMatchObject({ code: 2, err: 'expected now or at <time>, got "soon"' });
    expect((await cli(['oncall', 'at', 'noonish'])).code).toBe(2);
    expect((await cli(['oncall', 'now'])).code).toBe(0);
  });
});
