/**
 * The syntax of linear-time patterns (src/shared/linear-regex.ts): parsed into a tree of
 * character sets, sequences, alternatives, repetitions and assertions, or refused with what and
 * where. Character sets are sorted, merged [lo, hi] ranges of UTF-16 code units. Pure.
 */

/** A pattern refused: what and where (0-based index into the pattern). */
export class LinearRegexError extends Error {
  override name = 'LinearRegexError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

/** Largest count in `{m,n}` (RE2's limit). */
export const MAX_REPEAT = 1000;
const MAX_DEPTH = 100;
const MAX_UNIT = 0xffff;

// ---- character sets: sorted, merged, inclusive [lo, hi] pairs of UTF-16 code units ----

export type Ranges = number[];

function normalize(r: Ranges): Ranges {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i] as number, r[i + 1] as number]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= (out[last] as number) + 1) out[last] = Math.max(out[last] as number, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complement(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if ((r[i] as number) > next) out.push(next, (r[i] as number) - 1);
    next = (r[i + 1] as number) + 1;
  }
  if (next <= MAX_UNIT) out.push(next, MAX_UNIT);
  return out;
}

export function contains(r: Ranges, c: number): boolean {
  for (let i = 0; i < r.length; i += 2) {
    if (c < (r[i] as number)) return false;
    if (c <= (r[i + 1] as number)) return true;
  }
  return false;
}

const DIGIT: Ranges = [0x30, 0x39];
export const WORD: Ranges = normalize([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
// RegExp's \s: WhiteSpace and LineTerminator.
const SPACE: Ranges = normalize([
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f,
  0x3000, 0x3000, 0xfeff, 0xfeff,
]);
// `.` is anything but a line terminator (RegExp without the `s` flag).
const DOT: Ranges = complement(normalize([0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029]));
const SHORTHAND: Record<string, Ranges> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const CONTROL: Record<string, number> = { t: 0x09, n: 0x0a, v: 0x0b, f: 0x0c, r: 0x0d };
/** Escapes that stand for the character itself. */
const IDENTITY_ESCAPES = '^$\\.*+?()[]{}|/-!"#%&\',:;<=>@_`~ ';

// ---- the parse tree ----

export type Assertion = 'start' | 'end' | 'word' | 'notword';
export type Node =
  | { t: 'set'; ranges: Ranges }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'repeat'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: Assertion };

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly src: string) {}

  parse(): Node {
    const n = this.alternation();
    if (this.i < this.src.length) throw new LinearRegexError("unmatched ')'", this.i);
    return n;
  }

  private fail(message: string, at = this.i): never {
    throw new LinearRegexError(message, at);
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.i + offset];
  }

  private alternation(): Node {
    const items = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.sequence());
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'alt', items };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      const at = this.i;
      if (this.quantifier() !== undefined) this.fail('nothing to repeat', at);
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'cat', items };
  }

  /** Reads `* + ? {m} {m,} {m,n}` at the cursor, or leaves it (a `{` that is no quantifier is a literal). */
  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : Infinity };
    }
    if (c !== '{') return undefined;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i, this.i + 24));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT))
      this.fail(`a counted repetition over ${MAX_REPEAT}`);
    if (max < min) this.fail('numbers out of order in {} quantifier');
    this.i += m[0].length;
    return { min, max };
  }

  private quantified(atom: Node): Node {
    const at = this.i;
    const q = this.quantifier();
    if (!q) return atom;
    if (atom.t === 'assert') this.fail('nothing to repeat (an anchor or a boundary)', at);
    if (this.peek() === '+')
      this.fail(`possessive quantifier ${this.src.slice(at, this.i + 1)} (needs backtracking)`, at);
    if (this.peek() === '?') this.i++; // lazy: the same strings match
    if (this.quantifier() !== undefined) this.fail('nothing to repeat', at);
    return { t: 'repeat', node: atom, min: q.min, max: q.max };
  }

  private atom(): Node {
    const at = this.i;
    const c = this.src[this.i++] as string;
    switch (c) {
      case '.':
        return { t: 'set', ranges: DOT };
      case '^':
        return { t: 'assert', kind: 'start' };
      case '$':
        return { t: 'assert', kind: 'end' };
      case '(':
        return this.group(at);
      case '[':
        return { t: 'set', ranges: this.charClass(at) };
      case '\\':
        return this.escape(at);
      default:
        return { t: 'set', ranges: [c.charCodeAt(0), c.charCodeAt(0)] };
    }
  }

  private group(at: number): Node {
    if (++this.depth > MAX_DEPTH) this.fail(`groups nested deeper than ${MAX_DEPTH}`, at);
    if (this.peek() === '?') {
      const rest = this.src.slice(this.i, this.i + 3);
      const refused: Array<[string, string]> = [
        ['?<=', 'lookbehind (?<='],
        ['?<!', 'lookbehind (?<!'],
        ['?=', 'lookahead (?='],
        ['?!', 'lookahead (?!'],
        ['?>', 'atomic group (?>'],
      ];
      for (const [prefix, what] of refused) if (rest.startsWith(prefix)) this.fail(`${what} (needs backtracking)`, at);
      if (rest.startsWith('?:')) {
        this.i += 2;
      } else {
        const named = /^\?P?<([A-Za-z_$][\w$]*)>/.exec(this.src.slice(this.i, this.i + 260));
        if (!named) this.fail(`unsupported group '(${rest}' (flags and other group kinds are not supported)`, at);
        this.i += named[0].length;
      }
    }
    const inner = this.alternation();
    if (this.peek() !== ')') this.fail("unterminated group: missing ')'", at);
    this.i++;
    this.depth--;
    // A group may be repeated even when it holds only an anchor ((^)* is valid, ^* is not).
    return inner.t === 'assert' ? { t: 'cat', items: [inner] } : inner;
  }

  /** An escape outside a class: a set, an assertion, or a refusal. */
  private escape(at: number): Node {
    const c = this.peek();
    if (c === 'b' || c === 'B') {
      this.i++;
      return { t: 'assert', kind: c === 'b' ? 'word' : 'notword' };
    }
    const e = this.escaped(at, false);
    return { t: 'set', ranges: 'set' in e ? e.set : [e.unit, e.unit] };
  }

  /** What the escape after the backslash at `at` stands for: one code unit, or a set (\d...). */
  private escaped(at: number, inClass: boolean): Member {
    const c = this.src[this.i++];
    if (c === undefined) this.fail('a pattern may not end with a backslash', at);
    const shorthand = SHORTHAND[c];
    if (shorthand) return { set: shorthand };
    const control = CONTROL[c];
    if (control !== undefined) return { unit: control };
    if (inClass && c === 'b') return { unit: 0x08 };
    if (c >= '1' && c <= '9') this.fail(`backreference \\${c} (needs backtracking)`, at);
    if (c === 'k' && this.peek() === '<') this.fail('named backreference \\k<...> (needs backtracking)', at);
    if (c === '0') {
      if (/^[0-9]$/.test(this.peek() ?? '')) this.fail('octal escape (write \\x.. instead)', at);
      return { unit: 0 };
    }
    if (c === 'x' || c === 'u') {
      const n = c === 'x' ? 2 : 4;
      const hex = this.src.slice(this.i, this.i + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) this.fail(`\\${c} needs ${n} hex digits`, at);
      this.i += n;
      return { unit: parseInt(hex, 16) };
    }
    if (c === 'c') {
      const letter = this.peek() ?? '';
      if (!/^[A-Za-z]$/.test(letter)) this.fail('\\c needs a letter', at);
      this.i++;
      return { unit: letter.charCodeAt(0) % 32 };
    }
    if (c === 'p' || c === 'P') this.fail(`unicode property escape \\${c} is not supported`, at);
    // RegExp would read any other letter or digit as itself (\a is "a"): refused, as a likely mistake.
    if (!IDENTITY_ESCAPES.includes(c)) this.fail(`unknown escape \\${c}`, at);
    return { unit: c.charCodeAt(0) };
  }

  /** `[...]` after its `[` at `at`: the code units it matches. */
  private charClass(at: number): Ranges {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.i++;
    }
    const out: Ranges = [];
    const push = (m: Member): void => {
      if ('set' in m) out.push(...m.set);
      else out.push(m.unit, m.unit);
    };
    while (this.peek() !== ']') {
      const fromAt = this.i;
      const from = this.member(at);
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++;
        const to = this.member(at);
        if ('unit' in from && 'unit' in to) {
          if (to.unit < from.unit) this.fail('range out of order in character class', fromAt);
          out.push(from.unit, to.unit);
        } else {
          // A class escape at either end (as [\d-z]): RegExp reads the dash as itself.
          push(from);
          push({ unit: 0x2d });
          push(to);
        }
        continue;
      }
      push(from);
    }
    this.i++;
    const set = normalize(out);
    return negate ? complement(set) : set;
  }

  /** One member of a class (of the class opened at `at`). */
  private member(at: number): Member {
    const mAt = this.i;
    const c = this.src[this.i++];
    if (c === undefined) this.fail("unterminated character class: missing ']'", at);
    const next = this.peek() ?? '';
    if (c === '[' && (next === ':' || next === '.' || next === '='))
      this.fail(`POSIX class [${next}...${next}] is not supported (write a range, e.g. [a-z])`, mAt);
    return c === '\\' ? this.escaped(mAt, true) : { unit: c.charCodeAt(0) };
  }
}

type Member = { unit: number } | { set: Ranges };

/** The tree of a pattern; throws LinearRegexError naming what is refused and where. */
export function parseRegex(source: string): Node {
  return new Parser(source).parse();
}
