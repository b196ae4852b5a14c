/**
 * The linear-time regular expressions of route matchers: the same answers as RegExp on patterns
 * RegExp runs, answers at once where RegExp backtracks for seconds, and refusals (with their
 * position) of what needs backtracking.
 */
import { checkLinearRegex, compileLinearRegex, LinearRegexError, MAX_STATES } from '../../src/shared/linear-regex';

const PATTERNS = [
  '',
  'a',
  'abc',
  'a|b|',
  'prod-.*',
  'ServiceDown|PagerDuty.*',
  '(prod|staging)-[a-z0-9]+(-[a-z]+)?',
  'a*',
  'a+b*',
  'a?b?c?',
  '(a|ab)(c|bcd)(d*)',
  '(a*)*',
  '(a*)+b',
  '(?:a|b)*abb',
  'a{3}',
  'a{2,}',
  'a{0,2}b',
  'a{2,4}?',
  'a+?b',
  '(ab){1,3}c',
  '.',
  '.*',
  'a.c',
  '[abc]+',
  '[^abc]+',
  '[a-z]{2,5}',
  '[A-Za-z_][A-Za-z0-9_]*',
  '[\\d.]+',
  '[\\w-]+',
  '[a\\-z]',
  '[-a]',
  '[a-]',
  '[]a]',
  '[^]',
  '[]',
  '\\d+',
  '\\D+',
  '\\w+',
  '\\W',
  '\\s*x\\s*',
  '\\S+',
  '\\.',
  '\\\\',
  '\\x41\\u0042',
  '\\t|\\n',
  'a\\/b',
  '^abc$',
  '^a|b$',
  '(^a)|(b$)',
  'x^',
  '\\bfoo\\b',
  '.*\\bbar',
  '\\Bo\\B',
  'a{',
  'a{x}',
  'a{,2}',
  'a}',
  ']',
  '(?<name>a+)b',
  '(a)|b',
  '(|a)+',
  '([a-c]|x)*y?',
  '9[0-9]{2}|1[0-9]{3}',
  'caf\u00e9',
  '\ud83d\ude00',
];

const INPUTS = [
  '',
  'a',
  'b',
  'c',
  'ab',
  'abc',
  'abb',
  'aabb',
  'aaa',
  'aaaa',
  'aaab',
  'abcd',
  'abbcd',
  'ababcc',
  'abd',
  'prod-',
  'prod-web',
  'staging-api-eu',
  'prod-api-',
  'ServiceDown',
  'PagerDuty incident 7',
  'x',
  'xxy',
  '  x ',
  'foo',
  'a foo b',
  'foobar',
  'bar',
  'foo bar',
  'hello',
  'a.b',
  'a/b',
  '\\',
  'AB',
  '\t',
  '\n',
  'a\nb',
  '\u2028',
  '1.2.3',
  'a-z',
  '-',
  ']',
  'a{',
  'a{x}',
  'a{,2}',
  'a}',
  '950',
  '1234',
  'abcabcabc',
  'x_1',
  '_x',
  '1x',
  'caf\u00e9',
  '\ud83d\ude00',
  'yyy',
];

describe('the same answers as RegExp', () => {
  test.each(PATTERNS)('full match of /%s/', (p) => {
    const mine = compileLinearRegex(p);
    const theirs = new RegExp(`^(?:${p})$`);
    const differ = INPUTS.filter((s) => mine.fullMatch(s) !== theirs.test(s));
    expect(differ).toEqual([]);
  });

  test.each(PATTERNS)('search of /%s/', (p) => {
    const mine = compileLinearRegex(p);
    const theirs = new RegExp(p);
    const differ = INPUTS.filter((s) => mine.test(s) !== theirs.test(s));
    expect(differ).toEqual([]);
  });
});

test('random patterns over a small alphabet: the same answers as RegExp', () => {
  // A fixed seed: reproducible. Short inputs keep RegExp's own backtracking quick.
  let seed = 7;
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;
  const atom = (depth: number): string =>
    depth > 2 || rand(3) > 0
      ? pick(['a', 'b', '.', '[ab]', '[^a]', '\\w', '\\b', '^', '$', 'ab'])
      : `(${pattern(depth + 1)})`;
  const piece = (depth: number): string => {
    const a = atom(depth);
    if (a === '^' || a === '$' || a === '\\b') return a;
    return a + pick(['', '', '*', '+', '?', '{2}', '{0,2}', '{1,}', '*?']);
  };
  const pattern = (depth: number): string =>
    Array.from({ length: 1 + rand(3) }, () => Array.from({ length: 1 + rand(3) }, () => piece(depth)).join('')).join(
      '|',
    );
  const differ: string[] = [];
  for (let k = 0; k < 400; k++) {
    const p = pattern(0);
    const mine = compileLinearRegex(p);
    const full = new RegExp(`^(?:${p})$`);
    const search = new RegExp(p);
    for (let j = 0; j < 12; j++) {
      const s = Array.from({ length: rand(7) }, () => pick(['a', 'b', 'c', ' '])).join('');
      if (mine.fullMatch(s) !== full.test(s) || mine.test(s) !== search.test(s))
        differ.push(`/${p}/ on ${JSON.stringify(s)}`);
    }
  }
  expect(differ).toEqual([]);
});

describe('patterns that make RegExp backtrack are answered at once', () => {
  // RegExp takes seconds to minutes on each of these (exponential in the input's length).
  test.each([
    ['(a+)+b', 'a'.repeat(50), false],
    ['(a+)+b', `${'a'.repeat(50)}b`, true],
    ['(x+x+)+y', 'x'.repeat(50), false],
    ['(.*a){12}', 'a'.repeat(35), true],
    ['(.*a){12}', `${'a'.repeat(11)}${'b'.repeat(30)}`, false],
    ['(a|aa)+$', `${'a'.repeat(45)}!`, false],
    ['(\\w+\\s?)+$', `${'word '.repeat(9)}!`, false],
    ['(prod|prod-.*)+-(.*-)*x', `prod-${'a-'.repeat(20)}`, false],
  ])('/%s/ on %j', (p, input, expected) => {
    expect(compileLinearRegex(p).fullMatch(input)).toBe(expected);
  });

  test('a label of 100,000 characters against a nested pattern', () => {
    expect(compileLinearRegex('(a*)*(b+)*c').fullMatch('ab'.repeat(50_000))).toBe(false);
    expect(compileLinearRegex('(a*)*(b+)*c').test(`${'ab'.repeat(50_000)}c`)).toBe(true);
  });
});

describe('what needs backtracking, or is likely a mistake, is refused with its position', () => {
  test.each([
    ['(a)\\1', 'backreference \\1 (needs backtracking) at position 3'],
    ['(?<n>a)\\k<n>', 'named backreference \\k<...> (needs backtracking) at position 7'],
    ['a(?=b)', 'lookahead (?= (needs backtracking) at position 1'],
    ['a(?!b)', 'lookahead (?! (needs backtracking) at position 1'],
    ['(?<=a)b', 'lookbehind (?<= (needs backtracking) at position 0'],
    ['(?<!a)b', 'lookbehind (?<! (needs backtracking) at position 0'],
    ['(?>a+)b', 'atomic group (?> (needs backtracking) at position 0'],
    ['a*+b', 'possessive quantifier *+ (needs backtracking) at position 1'],
    ['x{2}+', 'possessive quantifier {2}+ (needs backtracking) at position 1'],
    ['(?i)a', "unsupported group '(?i)' (flags and other group kinds are not supported) at position 0"],
    ['[[:alpha:]]', 'POSIX class [:...:] is not supported (write a range, e.g. [a-z]) at position 1'],
    ['\\p{L}', 'unicode property escape \\p is not supported at position 0'],
    ['\\a', 'unknown escape \\a at position 0'],
    ['\\07', 'octal escape (write \\x.. instead) at position 0'],
    ['*a', 'nothing to repeat at position 0'],
    ['a**', 'nothing to repeat at position 1'],
    ['^*', 'nothing to repeat (an anchor or a boundary) at position 1'],
    ['a{3,2}', 'numbers out of order in {} quantifier at position 1'],
    ['a{1001}', 'a counted repetition over 1000 at position 1'],
    ['[z-a]', 'range out of order in character class at position 1'],
    ['(a', "unterminated group: missing ')' at position 0"],
    ['a)', "unmatched ')' at position 1"],
    ['[ab', "unterminated character class: missing ']' at position 0"],
    ['a\\', 'a pattern may not end with a backslash at position 1'],
    ['\\x4', '\\x needs 2 hex digits at position 0'],
  ])('/%s/', (p, message) => {
    expect(checkLinearRegex(p)).toBe(message);
    expect(() => compileLinearRegex(p)).toThrow(LinearRegexError);
  });

  test('a program too large when repetitions are expanded is refused, not built', () => {
    expect(checkLinearRegex('((a{1000}){1000})')).toBe(
      `the pattern compiles to more than ${MAX_STATES} states (repetitions expanded) at position 0`,
    );
    expect(checkLinearRegex('(a{100}){100}')).toBeUndefined();
  });

  test('groups nested past the bound are refused (no stack overflow)', () => {
    expect(checkLinearRegex(`${'('.repeat(101)}a${')'.repeat(101)}`)).toBe(
      'groups nested deeper than 100 at position 100',
    );
    expect(checkLinearRegex(`${'('.repeat(100)}a${')'.repeat(100)}`)).toBeUndefined();
  });

  test('every pattern of the corpus is accepted', () => {
    expect(PATTERNS.filter((p) => checkLinearRegex(p) !== undefined)).toEqual([]);
  });
});
