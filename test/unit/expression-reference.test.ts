/**
 * Our `${{ }}` language against GitHub's own implementation, `@actions/expressions`, the language
 * runbook authors know from Actions. Every case both languages define must give the same answer.
 * Where they differ on purpose the case is listed under "intended differences" with its reason,
 * and both sides' answers are pinned, so a change in ours or an upgrade of the reference shows up
 * here. Cases where ours was wrong (fixed) stay as checks of the fix.
 * @actions/expressions ships ESM only: jest.config.js maps and compiles it for jest.
 */
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { ExpressionError, parseExpression, referencedPaths } from '../../src/shared/expression';
import { evaluateText, render } from '../../src/shared/template';

type Scope = Record<string, unknown>;

const scope: Scope = {
  params: {
    service: 'checkout',
    replicas: 3,
    force: false,
    tags: ['a', 'b'],
    nums: [1, 2],
    env: 'Prod',
    code: '200',
    empty: '',
    zero: 0,
    nothing: null,
    none: [],
    obj: { a: 1 },
    ratio: 0.30000000000000004,
    sep: null,
  },
  steps: {
    probe: {
      output: {
        status: 200,
        ok: false,
        problems: ['disk', 'cpu'],
        body: { data: { result: [{ value: [1, '0.042'] }] } },
      },
      state: 'succeeded',
    },
    twin: {
      output: { status: 200, ok: false, problems: ['disk', 'cpu'], body: { data: { result: [] } } },
      state: 'failed',
    },
    skipped: { output: null, state: 'skipped' },
  },
  alert: { labels: { severity: 'critical', service: 'checkout' } },
  run: { id: 'wf-1', dryRun: false },
};

function toData(v: unknown): data.ExpressionData {
  if (v === null || v === undefined) return new data.Null();
  if (typeof v === 'string') return new data.StringData(v);
  if (typeof v === 'number') return new data.NumberData(v);
  if (typeof v === 'boolean') return new data.BooleanData(v);
  if (Array.isArray(v)) return new data.Array(...v.map(toData));
  const o = v as Record<string, unknown>;
  return new data.Dictionary(...Object.keys(o).map((key) => ({ key, value: toData(o[key]) })));
}

function fromData(d: data.ExpressionData): unknown {
  switch (d.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Array:
      return d.values().map(fromData);
    case data.Kind.Dictionary:
      return Object.fromEntries(d.pairs().map((p) => [p.key, fromData(p.value)]));
    default:
      return d.value;
  }
}

/** GitHub's answer, and the text it would interpolate (`coerceString`). Throws on a parse error. */
function githubEval(src: string, s: Scope = scope): { value: unknown; text: string } {
  const tree = new Parser(new Lexer(src).lex().tokens, Object.keys(s), []).parse();
  const d = new Evaluator(tree, toData(s) as data.Dictionary).evaluate();
  return { value: fromData(d), text: d.coerceString() };
}
const github = (src: string, s: Scope = scope): unknown => githubEval(src, s).value;

/** Ours, with a missing value (`undefined`) read as GitHub's `null`: both render as empty text. */
function ours(src: string, s: Scope = scope): unknown {
  const v = evaluateText(src, s);
  return v === undefined ? null : v;
}

/** Refused when parsed (the loader reports it when the runbook loads). */
const REFUSED = Symbol('refused');
function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch {
    return REFUSED;
  }
}

describe('ours agrees with @actions/expressions wherever both define the answer', () => {
  test.each([
    // property access and indexes
    'params.service',
    'steps.probe.output.status',
    'alert.labels.severity',
    "params['service']",
    'steps.probe.output.problems[1]',
    'steps.probe.output.body.data.result[0].value[1]',
    // missing paths are empty (undefined in ours, null in GitHub)
    'params.missing',
    'params.missing.deeper',
    'steps.skipped.output.status',
    'steps.probe.output.problems[5]',
    'params.missing == null',
    'steps.skipped.output == null',
    'params.nothing == null',
    '!params.missing',
    // literals
    'null',
    'true',
    '42',
    '1.5',
    "'text with spaces'",
    '1.5 == 1.50',
    // comparisons between values of one type
    'steps.probe.output.status == 200',
    'steps.probe.output.status != 200',
    "params.service == 'checkout'",
    "params.service != 'checkout'",
    'params.replicas > 2',
    'params.replicas >= 3',
    'params.replicas < 3',
    'params.replicas <= 2',
    "'b' > 'a'",
    "'abc' < 'abd'",
    'true == true',
    'null == null',
    'params.tags == params.tags',
    'params.obj == params.obj',
    'params.service < 5',
    '1 < 2 == true',
    'params.replicas > 2 == true',
    // && and || return an operand, short-circuit, bind && tighter
    "params.force || 'fallback'",
    'params.service && params.replicas',
    "params.empty || 'x'",
    "params.zero || 'z'",
    "params.nothing || 'n'",
    "params.missing || 'd'",
    "params.obj && 'yes'",
    "steps.probe.output.ok && 'critical' || 'warning'",
    "steps.probe.output.status == 200 && 'up' || 'down'",
    'false && params.missing.deeper',
    'true || params.missing.deeper',
    'true || false && false',
    '(true || false) && false',
    'false || 0',
    'false || null',
    "0 || '' || null",
    'steps.probe.output.status == 200 && !params.force',
    'steps.probe.output.status == 200 && !params.force && run.dryRun == false',
    // !
    '!params.force',
    '!params.empty',
    "!'0'",
    '!0',
    '!!params.service',
    '!true == false',
    '!(params.replicas > 2)',
    // functions both have, on exact text of one type
    "contains(params.tags, 'b')",
    "contains(params.tags, 'z')",
    "contains(params.service, 'heck')",
    "contains(steps.probe.output.problems, 'cpu')",
    'contains(params.nums, 2)',
    "contains(params, 'x')",
    "startsWith(params.service, 'ch')",
    "startsWith(params.service, 'out')",
    "join(params.tags, '+')",
    'join(params.tags)',
    "join(params.nums, ', ')",
    "join('abc')",
    "join(steps.probe.output.problems, '; ')",
    "toJSON('s')",
    'toJSON(3)',
    'toJSON(null)',
    'toJSON(params.missing)',
    'toJSON(true)',
    // whitespace and line breaks (folded YAML)
    '  params.service  ',
    'params.replicas > 2\n  && !params.force',
  ])('%s', (src) => {
    expect(ours(src)).toEqual(github(src));
  });

  test.each([
    'params.service',
    'params.replicas',
    'params.force',
    'params.missing',
    'params.nothing',
    'steps.probe.output.status',
    'steps.probe.output.body.data.result[0].value[1]',
    'params.replicas > 2',
    "params.force || 'fallback'",
    "join(params.tags, '+')",
    "contains(params.tags, 'b')",
  ])('interpolates %s as the same text', (src) => {
    expect(render(`v=\${{ ${src} }}.`, scope)).toBe(`v=${githubEval(src).text}.`);
  });

  test.each([
    'params.a +',
    '(params.service',
    'params.service ==',
    'params.service = 1',
    'params.service && && params.force',
    '&& params.force',
    "'unterminated",
    'params.',
    'params[',
    'params.service params.force',
    '()',
    'eval(1)',
    'contans(params.tags, 1)',
  ])('both refuse %j', (src) => {
    expect(() => parseExpression(src)).toThrow(ExpressionError);
    expect(() => githubEval(src)).toThrow();
  });
});

/**
 * [expression, ours, GitHub, reason]. REFUSED: rejected when parsed, so the runbook does not load;
 * such a case can never silently behave differently.
 */
const intended: Array<[string, unknown, unknown, string]> = [
  // Ours never converts between types (docs/runbooks.md: comparisons between different types are
  // false); GitHub converts like JavaScript's ==. Keeping it keeps every recorded history replaying
  // the same; number() compares numeric text.
  ['params.code == 200', false, true, 'no type coercion'],
  ["'5' == 5", false, true, 'no type coercion'],
  ["'' == 0", false, true, 'no type coercion'],
  ['false == 0', false, true, 'no type coercion'],
  ['true == 1', false, true, 'no type coercion'],
  ['null == 0', false, true, 'no type coercion'],
  ["null == ''", false, true, 'no type coercion'],
  ['null == false', false, true, 'no type coercion'],
  ['null < 1', false, true, 'no type coercion'],
  ["'10' > 9", false, true, 'no type coercion'],
  ['1 < 2 < 3', false, true, 'no type coercion'],
  ["contains(params.nums, '1')", false, true, 'no type coercion'],
  ['contains(steps.probe.output.status, 20)', false, true, 'contains reads text and lists only'],
  ['startsWith(params.replicas, 3)', false, true, 'startsWith reads text only'],
  ['join(params.tags, params.sep)', 'a,b', 'ab', 'a separator that is not text means the default ,'],
  // Ours compares text exactly; GitHub ignores case (in ==, <, contains, startsWith, names).
  ["params.env == 'prod'", false, true, 'case-sensitive'],
  ["params.env != 'prod'", true, false, 'case-sensitive'],
  ["'B' > 'a'", false, true, 'case-sensitive'],
  ["contains('Checkout', 'check')", false, true, 'case-sensitive'],
  ["contains(params.tags, 'B')", false, true, 'case-sensitive'],
  ["startsWith(params.service, 'CH')", false, true, 'case-sensitive'],
  ['params.SERVICE', null, 'checkout', 'names are case-sensitive'],
  ["CONTAINS(params.tags, 'a')", REFUSED, true, 'function names are case-sensitive'],
  // An empty list is falsy in ours (`when: ${{ steps.x.output.problems }}` means "has problems");
  // every list and object is truthy in GitHub.
  ["params.none || 'z'", 'z', [], 'empty list is falsy'],
  ['!params.none', true, false, 'empty list is falsy'],
  // Lists and objects: ours compares and prints content, GitHub identity and 'Array'/'Object'.
  ['steps.probe.output.problems == steps.twin.output.problems', true, false, 'equal content is equal'],
  ["join(steps.probe.output.body.data.result, ';')", '{"value":[1,"0.042"]}', 'Object', 'objects join as JSON'],
  ['toJSON(params.tags)', '["a","b"]', '[\n  "a",\n  "b"\n]', 'compact JSON, to embed in a JSON string input'],
  // Ours' extensions: GitHub has no such functions or members.
  ['params.tags.length', 2, null, 'list.length'],
  ['params.service.length', 8, null, 'text.length'],
  ['length(params.tags)', 2, REFUSED, 'ours only'],
  ["lower('ABC')", 'abc', REFUSED, 'ours only'],
  ["upper('abc')", 'ABC', REFUSED, 'ours only'],
  ["default(params.missing, 'x')", 'x', REFUSED, 'ours only (GitHub: params.missing || x)'],
  ["number('0.042')", 0.042, REFUSED, 'ours only (GitHub: fromJSON)'],
  ["urlencode('a b&c')", 'a%20b%26c', REFUSED, 'ours only'],
  ['"double"', 'double', REFUSED, 'ours also takes double quotes'],
  // GitHub syntax ours does not have: refused at load, never a silent difference.
  ['-1', REFUSED, -1, 'no signed number literals'],
  ['1e3', REFUSED, 1000, 'no exponent literals'],
  ['0xff', REFUSED, 255, 'no hex literals'],
  ['.5', REFUSED, 0.5, 'no leading-dot literals'],
  ["'it''s'", REFUSED, "it's", "no '' escape (use double quotes)"],
  ['steps.*.state', REFUSED, ['succeeded', 'failed', 'skipped'], 'no * filter'],
  ['params.tags[params.zero]', REFUSED, 'a', 'only literal indexes (so the loader can check every path)'],
  ["endsWith(params.service, 'out')", REFUSED, true, 'GitHub only'],
  ["format('{0}-{1}', params.service, params.replicas)", REFUSED, 'checkout-3', 'GitHub only'],
  ["fromJSON('0.042')", REFUSED, 0.042, 'GitHub only'],
];

describe('intended differences from @actions/expressions', () => {
  test.each(intended)('%s: ours %p, GitHub %p (%s)', (src, mine, theirs) => {
    expect(outcome(() => ours(src))).toEqual(mine);
    expect(outcome(() => github(src))).toEqual(theirs);
  });

  test('interpolated lists, objects and long fractions', () => {
    expect(render('${{ params.tags }}|${{ params.obj }}|${{ params.ratio }}', scope)).toBe(
      '["a","b"]|{"a":1}|0.30000000000000004',
    );
    const text = ['params.tags', 'params.obj', 'params.ratio'].map((src) => githubEval(src).text);
    expect(text).toEqual(['Array', 'Object', '0.3']);
  });

  test('names that exist on every object are never read: ours refuses them, GitHub drops such keys', () => {
    const tricky = { params: JSON.parse('{"constructor": "c", "__proto__": "p", "toString": "t"}') as unknown };
    expect(() => parseExpression('params.constructor')).toThrow("'constructor' may not be accessed");
    expect(() => parseExpression("params['__proto__']")).toThrow("'__proto__' may not be accessed");
    expect(ours('params.toString', tricky)).toBe('t');
    expect(github('params.constructor', tricky)).toBeNull();
    expect(github('params.__proto__', tricky)).toBeNull();
    expect(github('params.toString', tricky)).toBe('t');
    for (const src of ['params.toString', 'params.hasOwnProperty', 'params.tags.toString', "params['valueOf']"]) {
      expect(ours(src)).toBeNull();
      expect(github(src)).toBeNull();
    }
  });
});

describe('where ours was wrong, and is now as GitHub', () => {
  // `==` and `<` shared one precedence level in ours; GitHub (and C, JS) bind `<` tighter.
  test.each(['true == params.replicas > 2', '1 < 2 == 2 < 3', "params.replicas > 2 != params.service < 'a'"])(
    'precedence: %s',
    (src) => {
      expect(ours(src)).toEqual(github(src));
    },
  );

  // Ours checked no argument counts; GitHub refuses a wrong count when parsing.
  test.each(['startsWith(params.service)', "contains(params.tags, 'a', 'b')", 'join()', 'lower()'])(
    'argument count: %s',
    (src) => {
      expect(() => parseExpression(src)).toThrow(ExpressionError);
    },
  );

  // GitHub refuses nesting deeper than 50 and text longer than 21,000 characters with an error;
  // ours recursed until the stack overflowed (a RangeError, not an ExpressionError with a position).
  test('deep nesting is refused with an ExpressionError', () => {
    expect(() => githubEval(`${'('.repeat(60)}true${')'.repeat(60)}`)).toThrow('Exceeded max expression depth 50');
    const deep = `${'('.repeat(20_000)}params.force${')'.repeat(20_000)}`;
    expect(() => parseExpression(deep)).toThrow(ExpressionError);
  });

  test('a long || chain is refused, not a stack overflow later', () => {
    const chain = Array(20_000).fill('params.force').join(' || ');
    expect(() => referencedPaths(parseExpression(chain))).toThrow(ExpressionError);
  });
});
