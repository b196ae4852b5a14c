/**
 * The shipped runbook library (runbooks/*.yaml): it loads with the real loader, follows the
 * library's rules (metadata, approvals before mutations, no credentials), plans stably, and stays
 * in step with its docs. Broken files are rejected with the file, line and field to fix.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RunbookLoadError, type RunbookProblem } from '../../src/runbooks/errors';
import { loadLibrary, type RunbookLibrary } from '../../src/runbooks/library';
import { loadRunbookText } from '../../src/runbooks/load';
import { resolveParams } from '../../src/runbooks/params';
import { planRun } from '../../src/runbooks/plan';
import { parseExpression, referencedPaths } from '../../src/shared/expression';
import type { ParamValue, RunbookDefinition, Step } from '../../src/shared/model';
import { templateExpressions } from '../../src/shared/template';

const ROOT = join(__dirname, '../..');
const RUNBOOKS_DIR = join(ROOT, 'runbooks');

/** Example values for params that have no default, so every runbook can be planned. */
const EXAMPLE_PARAMS: Record<string, Record<string, ParamValue>> = {
  'emergency-rollback': { historyId: 41 },
};

/** The steps each runbook's plan lists as mutating: a new mutation is a deliberate change here. */
const MUTATING_STEPS: Record<string, string[]> = {
  'api-outage-fallback': ['open-breaker', 'close-breaker'],
  'emergency-rollback': ['disable-autosync', 'rollback'],
  'high-error-rate': ['restart'],
  'service-down': ['restart'],
};

/** Runbooks that are pre-approved standard changes carry this tag and may mutate without approval. */
const NO_APPROVAL_TAG = 'no-approval-needed';

function flatten(steps: Step[]): Step[] {
  return steps.flatMap((s) => (s.kind === 'parallel' ? [s, ...flatten(s.steps)] : [s]));
}

/** Step ids whose `state` a condition reads (`steps.<id>.state`). */
function statesRead(condition: string | undefined): Set<string> {
  if (condition === undefined) return new Set();
  const inner = templateExpressions(condition);
  const paths = (inner.length > 0 ? inner : [condition]).flatMap((src) => referencedPaths(parseExpression(src)));
  return new Set(paths.filter((p) => p.root === 'steps' && p.segs[1] === 'state').map((p) => String(p.segs[0])));
}

interface Gates {
  /** An approval that always runs and stops the run unless approved has passed. */
  always: boolean;
  /** Every approval passed so far (conditional ones too). */
  approvals: string[];
}

/**
 * The approval rule: every mutating step comes after an approval in the same runbook. An approval
 * with no `when` and `onFailure: fail` gates everything after it (a rejection or timeout ends the
 * run). A conditional approval, or one whose timeout continues, gates only the mutating steps whose
 * own `when` reads its state, e.g. `when: ${{ steps.approve.state == 'succeeded' }}`. Parallel
 * siblings do not gate each other. Returns the ids of mutating steps no approval gates.
 */
function ungatedMutations(rb: RunbookDefinition): string[] {
  if (rb.tags.includes(NO_APPROVAL_TAG)) return [];
  const out: string[] = [];
  const walk = (steps: Step[], before: Gates, conditional: boolean): Gates => {
    let gates = before;
    for (const s of steps) {
      if (s.kind === 'parallel') {
        const inner = conditional || s.when !== undefined;
        const after = s.steps.map((child) => walk([child], gates, inner));
        gates = { always: after.some((g) => g.always), approvals: [...new Set(after.flatMap((g) => g.approvals))] };
      } else if (s.kind === 'approval') {
        const always = !conditional && s.when === undefined && s.onFailure === 'fail';
        gates = { always: gates.always || always, approvals: [...gates.approvals, s.id] };
      } else if ('mutating' in s && s.mutating) {
        const read = statesRead(s.when);
        if (!gates.always && !gates.approvals.some((id) => read.has(id))) out.push(s.id);
      }
    }
    return gates;
  };
  walk(rb.steps, { always: false, approvals: [] }, false);
  return out;
}

function problemsOf(text: string, file = 'runbooks/broken.yaml'): RunbookProblem[] {
  try {
    loadRunbookText(text, file);
  } catch (err) {
    if (err instanceof RunbookLoadError) return err.problems;
    throw err;
  }
  throw new Error('expected the runbook to be rejected');
}

const where = (p: RunbookProblem): string => `${p.file}:${p.line}`;

let library: RunbookLibrary;
let runbooks: RunbookDefinition[];

beforeAll(() => {
  library = loadLibrary(RUNBOOKS_DIR);
  runbooks = [...library.runbooks.values()];
});

describe('the shipped library', () => {
  it('loads every file with zero problems', () => {
    // loadLibrary throws one RunbookLoadError listing every problem of every file.
    expect(() => loadLibrary(RUNBOOKS_DIR)).not.toThrow();
    expect(runbooks.length).toBeGreaterThanOrEqual(6);
    expect([...library.files.values()].every((f) => /^runbooks\/[a-z0-9-]+\.yaml$/.test(f))).toBe(true);
  });

  it('gives every runbook a description, a service, a severity and at least one tag', () => {
    for (const rb of runbooks) {
      expect({ id: rb.id, description: rb.description.trim().length > 0 }).toEqual({ id: rb.id, description: true });
      expect({ id: rb.id, service: typeof rb.service }).toEqual({ id: rb.id, service: 'string' });
      expect({ id: rb.id, severity: rb.severity }).toEqual({ id: rb.id, severity: expect.stringMatching(/^sev[1-4]$/) });
      expect({ id: rb.id, tags: rb.tags.length > 0 }).toEqual({ id: rb.id, tags: true });
    }
  });

  it('describes every param', () => {
    const missing = runbooks.flatMap((rb) =>
      Object.entries(rb.params).filter(([, p]) => !p.description?.trim()).map(([name]) => `${rb.id}: params.${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('puts every mutating step behind an earlier approval (or tags the runbook no-approval-needed)', () => {
    expect(runbooks.map((rb) => ({ id: rb.id, ungated: ungatedMutations(rb) }))).toEqual(
      runbooks.map((rb) => ({ id: rb.id, ungated: [] })),
    );
  });

  it('keeps credentials out of runbooks: tokens go through secretHeaders', () => {
    const credentialHeader = /authorization|token|api-?key|secret|cookie|password/i;
    for (const rb of runbooks) {
      for (const s of flatten(rb.steps)) {
        const headers = 'with' in s ? (s.with.headers as Record<string, unknown> | undefined) : undefined;
        expect({ step: `${rb.id}.${s.id}`, headers: Object.keys(headers ?? {}).filter((h) => credentialHeader.test(h)) })
          .toEqual({ step: `${rb.id}.${s.id}`, headers: [] });
      }
    }
  });

  it('has example values for every required param', () => {
    for (const rb of runbooks) {
      const r = resolveParams(rb.params, EXAMPLE_PARAMS[rb.id] ?? {});
      expect({ id: rb.id, errors: 'errors' in r ? r.errors : [] }).toEqual({ id: rb.id, errors: [] });
    }
  });

  it('plans each runbook with its default params, with a stable hash and the expected mutating steps', () => {
    for (const rb of runbooks) {
      const r = resolveParams(rb.params, EXAMPLE_PARAMS[rb.id] ?? {});
      if ('errors' in r) throw new Error(`${rb.id}: ${JSON.stringify(r.errors)}`);
      const first = planRun(rb, r.params);
      const second = planRun(rb, { ...r.params });
      expect({ id: rb.id, hash: second.hash }).toEqual({ id: rb.id, hash: first.hash });
      expect(second).toEqual(first);
      expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
      expect({ id: rb.id, mutating: first.mutatingSteps }).toEqual({ id: rb.id, mutating: MUTATING_STEPS[rb.id] ?? [] });
    }
  });

  it('changes the plan hash when a param changes', () => {
    const rb = library.runbooks.get('service-down') as RunbookDefinition;
    const r = resolveParams(rb.params, {});
    if ('errors' in r) throw new Error(JSON.stringify(r.errors));
    expect(planRun(rb, { ...r.params, service: 'checkout' }).hash).not.toBe(planRun(rb, r.params).hash);
  });

  it('cites the seed documents each runbook comes from (all but examples)', () => {
    for (const rb of runbooks.filter((x) => !x.tags.includes('example'))) {
      const text = readFileSync(join(ROOT, library.files.get(rb.id) as string), 'utf8');
      const header = text.slice(0, text.search(/^id:/m));
      expect({ id: rb.id, cites: /\b00[0-4]_[0-9a-f]{16}\.txt\b/.test(header) }).toEqual({ id: rb.id, cites: true });
    }
  });

  it('is listed in docs/runbooks.md and mapped in docs/seed-coverage.md', () => {
    const guide = readFileSync(join(ROOT, 'docs/runbooks.md'), 'utf8');
    const coverage = readFileSync(join(ROOT, 'docs/seed-coverage.md'), 'utf8');
    for (const rb of runbooks) {
      expect({ id: rb.id, listed: guide.includes(`\`${rb.id}\``) }).toEqual({ id: rb.id, listed: true });
      if (!rb.tags.includes('example')) expect({ id: rb.id, mapped: coverage.includes(`\`${rb.id}\``) }).toEqual({ id: rb.id, mapped: true });
    }
  });
});

describe('the approval rule', () => {
  const rb = (tags: string, steps: string): RunbookDefinition =>
    loadRunbookText(`id: rule\ntitle: Rule\ntags: [${tags}]\nsteps:\n${steps}`, 'rule.yaml');
  const restart = (when = ''): string =>
    `  - id: restart\n${when ? `    when: "${when}"\n` : ''}    action: http:request\n    with: { method: POST, url: "http://127.0.0.1:9/restart" }\n`;
  const approve = (extra = ''): string => `  - id: approve\n    approval: { message: Go? }\n${extra}`;

  it('accepts a mutation after an unconditional approval', () => {
    expect(ungatedMutations(rb('x', approve() + restart()))).toEqual([]);
  });

  it('flags a mutation with no approval before it', () => {
    expect(ungatedMutations(rb('x', restart() + approve()))).toEqual(['restart']);
  });

  it('exempts runbooks tagged no-approval-needed', () => {
    expect(ungatedMutations(rb(NO_APPROVAL_TAG, restart()))).toEqual([]);
  });

  it('counts a conditional or continue-on-timeout approval only where the mutation reads its state', () => {
    expect(ungatedMutations(rb('x', approve('    when: ${{ true }}\n') + restart()))).toEqual(['restart']);
    expect(ungatedMutations(rb('x', approve('    onFailure: continue\n') + restart()))).toEqual(['restart']);
    const gated = approve('    onFailure: continue\n') + restart("${{ steps.approve.state == 'succeeded' }}");
    expect(ungatedMutations(rb('x', gated))).toEqual([]);
  });

  it('does not let a parallel sibling approval gate a mutation', () => {
    const steps = `  - id: both\n    parallel:\n${(approve() + restart()).replace(/^/gm, '    ')}`;
    expect(ungatedMutations(rb('x', steps))).toEqual(['restart']);
  });
});

describe('broken runbook files', () => {
  const HEAD_LINES = [
    'id: broken',
    'title: Broken on purpose',
    'params:',
    '  url: { type: string, default: "http://127.0.0.1:9" }',
    'steps:',
    '  - id: probe',
    '    action: http:check',
    '    with:',
  ];
  const HEAD = HEAD_LINES.join('\n');
  // Lines 1-8 above; every case below starts at line 9.

  it('rejects an unknown action at its line', () => {
    const text = `${HEAD}\n      url: \${{ params.url }}/health\n  - id: restart\n    action: k8s:deployment:restart\n    with:\n      name: checkout\n`;
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect({ at: where(p as RunbookProblem), field: p?.field }).toEqual({ at: 'runbooks/broken.yaml:11', field: 'steps[1].action' });
    expect(p?.message).toBe("unknown action 'k8s:deployment:restart'");
  });

  it('rejects a reference to a later step', () => {
    const text = `${HEAD}\n      url: \${{ steps.later.output.body.url }}\n  - id: later\n    action: http:request\n    with:\n      url: \${{ params.url }}/where\n`;
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect({ at: where(p as RunbookProblem), field: p?.field }).toEqual({ at: 'runbooks/broken.yaml:9', field: 'steps[0].with.url' });
    expect(p?.message).toContain("step 'later' is not finished before this point");
  });

  it('rejects an unknown param', () => {
    const text = `${HEAD}\n      url: \${{ params.url }}/health\n  - id: tell\n    notify:\n      message: "Probe of \${{ params.service }} answered \${{ steps.probe.output.status }}"\n`;
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect({ at: where(p as RunbookProblem), field: p?.field }).toEqual({ at: 'runbooks/broken.yaml:12', field: 'steps[1].notify.message' });
    expect(p?.message).toBe("unknown parameter 'service'");
  });

  it('rejects a bad duration', () => {
    const text = `${HEAD}\n      url: \${{ params.url }}/health\n    timeout: 5 minutes\n`;
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect({ at: where(p as RunbookProblem), field: p?.field }).toEqual({ at: 'runbooks/broken.yaml:10', field: 'steps[0].timeout' });
    expect(p?.message).toContain('a duration such as 30s');
  });

  it('rejects two kinds in one step', () => {
    const text = `${HEAD}\n      url: \${{ params.url }}/health\n  - id: settle\n    wait: 5s\n    approval:\n      message: Go on?\n`;
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect({ at: where(p as RunbookProblem), field: p?.field }).toEqual({ at: 'runbooks/broken.yaml:10', field: 'steps[1]' });
    expect(p?.message).toBe('a step has exactly one kind, found approval and wait');
  });

  it('rejects secrets.* in a template', () => {
    const text = `${HEAD}\n      url: \${{ params.url }}/admin\n      headers:\n        Authorization: "Bearer \${{ secrets.adminToken }}"\n`;
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect({ at: where(p as RunbookProblem), field: p?.field }).toEqual({ at: 'runbooks/broken.yaml:11', field: 'steps[0].with.headers.Authorization' });
    expect(p?.message).toContain('secrets are never templated into inputs');
  });

  it('rejects a verify step whose action mutates', () => {
    const text = [
      'id: broken', 'title: Broken on purpose', 'steps:', '  - id: poke', '    verify:', '      action: http:request',
      '      with: { method: POST, url: "http://127.0.0.1:9/poke" }', '      until: ${{ output.status == 200 }}', '      within: 1m', '',
    ].join('\n');
    const [p, ...rest] = problemsOf(text);
    expect(rest).toEqual([]);
    expect({ at: where(p as RunbookProblem), field: p?.field }).toEqual({ at: 'runbooks/broken.yaml:6', field: 'steps[0].verify.action' });
    expect(p?.message).toContain('must be read-only');
  });

  // An unclosed flow map on line 8; the parser notices it at the start of line 9.
  const UNCLOSED = `${HEAD_LINES.slice(0, -1).join('\n')}\n    with: { url: "\${{ params.url }}/health"\n  - id: settle\n    wait: 5s\n`;

  it('rejects a YAML syntax error as a (yaml) problem of the file', () => {
    const problems = problemsOf(UNCLOSED);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toEqual(expect.objectContaining({
      file: 'runbooks/broken.yaml',
      field: '(yaml)',
      message: 'Flow map in block collection must be sufficiently indented and end with a }',
    }));
  });

  // Known loader bug: load.ts parses with prettyErrors: false, so yaml never sets linePos and every
  // syntax error is reported at 1:1. The position is in err.pos (lines.linePos(err.pos[0]) gives 9:3).
  it('reports a YAML syntax error at its line', () => {
    const [p] = problemsOf(UNCLOSED);
    expect({ at: where(p as RunbookProblem), column: p?.column }).toEqual({ at: 'runbooks/broken.yaml:9', column: 3 });
  });

  it('names the file relative to the working directory when a library folder has a broken file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-library-'));
    try {
      writeFileSync(join(dir, 'good.yaml'), 'id: good\ntitle: Good\nsteps:\n  - id: pause\n    wait: 1s\n');
      writeFileSync(join(dir, 'bad.yaml'), 'id: bad\ntitle: Bad\nsteps:\n  - id: pause\n    wait: soon\n');
      let problems: RunbookProblem[] = [];
      try {
        loadLibrary(dir);
      } catch (err) {
        if (!(err instanceof RunbookLoadError)) throw err;
        problems = err.problems;
      }
      expect(problems.map((p) => ({ at: where(p), field: p.field }))).toEqual([
        { at: `${relative(process.cwd(), join(dir, 'bad.yaml'))}:5`, field: 'steps[0].wait' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
