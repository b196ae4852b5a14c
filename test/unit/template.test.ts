import { parseExpression, referencedPaths } from '../../src/shared/expression';
import { evaluateText, render, toPlainJson, Unresolved } from '../../src/shared/template';
import { formatDuration, parseDuration } from '../../src/shared/duration';

const scope = {
  params: { service: 'checkout', replicas: 3, force: false, tags: ['a', 'b'] },
  steps: {
    probe: {
      output: { ok: false, status: 503, body: { data: { result: [{ value: [1, '0.042'] }] } } },
      state: 'succeeded',
    },
  },
  run: { id: 'wf-1' },
  alert: null,
};

describe('expressions', () => {
  test.each([
    ['params.service', 'checkout'],
    ['params.replicas > 2 && !params.force', true],
    ['steps.probe.output.status == 503 || params.force', true],
    ['steps.probe.output.body.data.result[0].value[1]', '0.042'],
    ['number(steps.probe.output.body.data.result[0].value[1]) > 0.01', true],
    ["contains(params.tags, 'b') && length(params.tags) == 2", true],
    ["lower('ABC') == 'abc'", true],
    ["urlencode('sum(rate(x[5m])) > 0.05 & y')", 'sum(rate(x%5B5m%5D))%20%3E%200.05%20%26%20y'],
    ["default(params.missing, 'x')", 'x'],
    ["join(params.tags, '+')", 'a+b'],
    ['params.tags.length', 2],
    ['alert.labels.severity', undefined],
    ["'5' == 5", false],
    ['params.service < 5', false],
  ])('%s', (src, expected) => {
    expect(evaluateText(src, scope)).toEqual(expected);
  });

  test('rejects prototype access, unknown functions and bad syntax at parse time', () => {
    expect(() => parseExpression('params.__proto__')).toThrow("'__proto__' may not be accessed");
    expect(() => parseExpression("params['constructor']")).toThrow("'constructor' may not be accessed");
    expect(() => parseExpression('eval(1)')).toThrow("unknown function 'eval'");
    expect(() => parseExpression('params.a +')).toThrow("unexpected character '+'");
    expect(() => parseExpression('(params.a')).toThrow("expected ')'");
    expect(() => parseExpression('params[x]')).toThrow('only a number or a quoted name');
  });

  test('never reads inherited properties', () => {
    expect(evaluateText('params.toString', scope)).toBeUndefined();
    expect(evaluateText('params.hasOwnProperty', scope)).toBeUndefined();
    const weird = { params: Object.create({ inherited: 'secret' }) as Record<string, unknown> };
    expect(evaluateText('params.inherited', weird)).toBeUndefined();
  });

  test('lists the paths an expression reads', () => {
    expect(referencedPaths(parseExpression('steps.a.output.x == params.b && length(run.id) > 0'))).toEqual([
      { root: 'steps', segs: ['a', 'output', 'x'] },
      { root: 'params', segs: ['b'] },
      { root: 'run', segs: ['id'] },
    ]);
  });
});

describe('promql() and promqlRegex(): values inside a PromQL double-quoted string', () => {
  const hostile = {
    params: { job: 'api"} or vector(1) #', nl: 'a\nb\\c', ctl: 'a\u0000b\u001bc\u007fd\tz', re: 'db.1|(x)*' },
  };
  test.each([
    ['promql(params.job)', 'api\\"} or vector(1) #'],
    ['promql(params.nl)', 'a\\nb\\\\c'],
    // Go's escapes, which Prometheus reads: tab by name, other control characters as \xNN.
    ['promql(params.ctl)', 'a\\x00b\\x1bc\\x7fd\\tz'],
    ["promql('checkout')", 'checkout'],
    ["promql('ünïcode ✓')", 'ünïcode ✓'],
    ['promql(3)', '3'],
    ['promql(params.missing)', ''],
    // Matched literally: RE2's metacharacters escaped, then the string's own escapes (\ doubled).
    ['promqlRegex(params.re)', 'db\\\\.1\\\\|\\\\(x\\\\)\\\\*'],
    ["promqlRegex('postgres-backup')", 'postgres-backup'],
    ['urlencode(promql(params.job))', 'api%5C%22%7D%20or%20vector(1)%20%23'],
  ])('%s', (src, expected) => {
    expect(evaluateText(src, hostile)).toBe(expected);
  });

  test('no value can end the string: every quote is preceded by an odd number of backslashes', () => {
    for (const v of ['"', '\\"', '\\\\"', 'x\\', '"\\"\\\\"', '\n"', 'a\u2028"b']) {
      const out = evaluateText('promql(params.v)', { params: { v } }) as string;
      // What Prometheus would read back, unescaping as Go does.
      expect(JSON.parse(`"${out.replace(/\\x([0-9a-f]{2})/g, '\\u00$1')}"`)).toBe(v);
    }
  });

  test('a lone surrogate is encoded as U+FFFD instead of throwing', () => {
    expect(evaluateText('urlencode(params.s)', { params: { s: 'a\uD800b' } })).toBe('a%EF%BF%BDb');
  });

  test('unknown values stay unresolved while planning', () => {
    expect(evaluateText('promql(steps.x.output)', { params: {} })).toBeInstanceOf(Unresolved);
  });
});

describe('templates', () => {
  test('a whole-string template keeps its type; mixed text interpolates', () => {
    expect(
      render(
        {
          n: '${{ params.replicas }}',
          s: 'svc-${{ params.service }}-${{ params.replicas }}',
          o: '${{ steps.probe.output.body.data }}',
        },
        scope,
      ),
    ).toEqual({
      n: 3,
      s: 'svc-checkout-3',
      o: { result: [{ value: [1, '0.042'] }] },
    });
  });

  test('unknown roots stay unresolved, visibly, for plans', () => {
    const out = render({ a: '${{ steps.x.output.y }}', b: 'n=${{ steps.x.output.y }}' }, { params: {} });
    expect(out).toEqual({ a: new Unresolved('steps.x.output.y'), b: 'n=<steps.x.output.y>' });
    expect(toPlainJson(out)).toEqual({ a: '<steps.x.output.y>', b: 'n=<steps.x.output.y>' });
    expect(evaluateText('params.a && steps.x.ok', { params: { a: false } })).toBe(false);
    expect(evaluateText('params.a && steps.x.ok', { params: { a: true } })).toBeInstanceOf(Unresolved);
    expect(evaluateText('steps.x.ok || params.a', { params: { a: true } })).toBe(true);
    expect(evaluateText('steps.x.ok || params.a', { params: { a: false } })).toBeInstanceOf(Unresolved);
    expect(evaluateText('steps.x.ok && params.a', { params: { a: false } })).toBe(false);
  });
});

describe('durations', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1.5s', 1500],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  test.each(['', '5', '5x', 's5', '1h 30m'])('%j is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
  test('formats compactly', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(250)).toBe('250ms');
  });
});
