/**
 * The rooms are walls: `npm run lint` (dependency-cruiser over scripts/rooms.cjs) fails a probe
 * import from each forbidden room, and the workflow sandbox's limits (activity values, Node
 * builtins, packages), and it passes the tree. Probes are written into a copy of the tree, never
 * into src/ itself: tests running alongside bundle src/shared and src/workflows whole.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ROOMS } = require('../../scripts/rooms.cjs') as { ROOMS: Record<string, string[]> };

const root = join(__dirname, '../..');
const depcruise = join(root, 'node_modules/.bin/depcruise');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(paths: string[], cwd = root): Violation[] {
  let out: string;
  try {
    out = execFileSync(depcruise, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // The JSON report of the whole tree passed 1 MiB (the default) at about 400 modules.
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    // Violations make it exit non-zero; the report is still on stdout.
    out = (err as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

const allowed = (room: string): Set<string> => new Set((ROOMS[room] ?? []).map((r) => r.split(' ')[0] as string));
const rooms = Object.keys(ROOMS).filter((r) => r !== 'main');

/** One real module of each room, to import from a probe. */
function sample(room: string): string {
  const file = readdirSync(join(root, 'src', room))
    .filter((f) => f.endsWith('.ts'))
    .sort()[0];
  if (!file) throw new Error(`room ${room} has no module`);
  return `../${room}/${file.replace(/\.ts$/, '')}`;
}

test('the room table is a DAG: no room reaches itself through what it may import', () => {
  const reach = (from: string, seen: Set<string>): boolean =>
    [...allowed(from)].some((r) => r === 'main' || seen.has(r) || reach(r, new Set([...seen, r])));
  for (const room of Object.keys(ROOMS))
    expect({ room, cycle: reach(room, new Set([room])) }).toEqual({ room, cycle: false });
});

test('the tree passes', () => {
  expect(cruise(['src'])).toEqual([]);
});

describe('probes', () => {
  const probes: string[] = [];
  // The checker's view of the project: its config, the room table, the sources, the packages.
  const copy = mkdtempSync(join(tmpdir(), 'rooms-'));
  beforeAll(() => {
    for (const f of ['src', 'tsconfig.json', 'package.json', '.dependency-cruiser.cjs'])
      cpSync(join(root, f), join(copy, f), { recursive: true });
    mkdirSync(join(copy, 'scripts'));
    cpSync(join(root, 'scripts/rooms.cjs'), join(copy, 'scripts/rooms.cjs'));
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  });
  const probe = (room: string, body: string): string => {
    const path = `src/${room}/zz-lint-probe-${probes.length}.ts`;
    writeFileSync(join(copy, path), `${body}\nexport {};\n`);
    probes.push(path);
    return path;
  };
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  test('an import from each forbidden room fails, and the sandbox limits hold', () => {
    const expected: Array<{ from: string; rule: string; to: string }> = [];
    for (const room of rooms) {
      for (const other of rooms) {
        if (other === room || allowed(room).has(other)) continue;
        const to = sample(other);
        const from = probe(room, `import '${to}';`);
        expected.push({ from, rule: `room-${room}`, to: other });
      }
    }
    const activityValue = probe(
      'workflows',
      "import { createActivities } from '../activities';\nvoid createActivities;",
    );
    const activityType = probe('workflows', "import type { Activities } from '../activities';\ntype _A = Activities;");
    const node = probe('shared', "import { createHash } from 'node:crypto';\nvoid createHash;");
    const pkg = probe('workflows', "import { z } from 'zod';\nvoid z;");

    const found = cruise(probes, copy);
    const roomOf = (path: string): string => path.split('/')[1] as string;
    for (const e of expected) {
      const hit = found.some((v) => v.from === e.from && v.rule.name === e.rule && roomOf(v.to) === e.to);
      expect({ ...e, flagged: hit }).toEqual({ ...e, flagged: true });
    }
    const rulesOf = (from: string): string[] => found.filter((v) => v.from === from).map((v) => v.rule.name);
    expect(rulesOf(activityValue)).toContain('workflows-activity-types-only');
    expect(rulesOf(activityType)).toEqual([]);
    expect(rulesOf(node)).toContain('workflow-safe-no-node');
    expect(rulesOf(pkg)).toContain('workflow-safe-packages');
  });

  test('a cycle fails, type imports counted', () => {
    const a = probe('runs', '');
    const b = probe('runs', '');
    writeFileSync(
      join(copy, a),
      `import type { X } from './${b.split('/')[2]?.replace(/\.ts$/, '')}';\nexport type Y = X;\n`,
    );
    writeFileSync(
      join(copy, b),
      `import type { Y } from './${a.split('/')[2]?.replace(/\.ts$/, '')}';\nexport type X = Y | 1;\n`,
    );
    expect(cruise([a, b], copy).map((v) => v.rule.name)).toContain('no-circular');
  });
});

test('docs/architecture.md shows the rule as scripts/rooms.cjs holds it', () => {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const table = /<!-- rooms:begin -->\n([\s\S]*?)<!-- rooms:end -->/.exec(doc)?.[1] ?? '';
  const rows = table
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|').map((c) => c.trim()));
  const shown = Object.fromEntries(
    rows.map(([, room, allowed]) => [
      (room as string).replace(/`/g, ''),
      (allowed as string).startsWith('(') ? [] : (allowed as string).split(', ').map((a) => a.replace(/`/g, '')),
    ]),
  );
  expect(shown).toEqual(ROOMS);
});
