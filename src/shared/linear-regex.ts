/**
 * Regular expressions that run in time linear in the input, whatever the pattern: route
 * `labelsRegex` matchers come from configuration and meet label values from any sender, and a
 * backtracking engine (RegExp) blocked the event loop for seconds on a 35-character label with a
 * plausible pattern. The pattern is compiled to an NFA and run by Thompson simulation (every
 * state at once, one step per input character), as RE2 and Go's regexp do.
 *
 * Syntax: RegExp's without flags (so patterns that worked keep their meaning): literals and
 * escapes, `.`, classes with ranges and negation, `\d \w \s` and their negations, groups `( )`,
 * `(?: )`, `(?<name> )`, alternation, `* + ? {m} {m,} {m,n}` greedy or lazy, `^ $ \b \B`. Matched
 * on UTF-16 code units, as RegExp without the `u` flag. What needs backtracking (backreferences,
 * lookahead and lookbehind, atomic groups, possessive quantifiers) is refused with its position
 * (0-based), and so are escapes RegExp would silently read as a letter (`\a`, `\p{...}`).
 *
 * Bounded: a counted repetition at most 1000, the compiled program at most 20,000 states, groups
 * nested at most 100 deep. Pure: no Node API, so workflow code may use it too.
 */
import {
  contains,
  LinearRegexError,
  parseRegex,
  WORD,
  type Assertion,
  type Node,
  type Ranges,
} from './linear-regex-parse';

export { LinearRegexError, MAX_REPEAT } from './linear-regex-parse';

/** Largest compiled program, in NFA states (counted repetitions are expanded). */
export const MAX_STATES = 20_000;

// ---- the program: states of a Thompson NFA ----

const Op = { Set: 0, Split: 1, Assert: 2, Match: 3 } as const;
type Op = (typeof Op)[keyof typeof Op];

interface State {
  op: Op;
  ranges?: Ranges;
  kind?: Assertion;
  /** The next state (Set, Assert), or the first branch (Split). */
  a: number;
  /** The second branch (Split). */
  b: number;
}

class Compiler {
  readonly states: State[] = [{ op: Op.Match, a: -1, b: -1 }];

  private add(s: State): number {
    if (this.states.length >= MAX_STATES)
      throw new LinearRegexError(`the pattern compiles to more than ${MAX_STATES} states (repetitions expanded)`, 0);
    this.states.push(s);
    return this.states.length - 1;
  }

  /** The entry of `n`'s program, which goes on to `next` once `n` has matched. */
  compile(n: Node, next: number): number {
    switch (n.t) {
      case 'set':
        return this.add({ op: Op.Set, ranges: n.ranges, a: next, b: -1 });
      case 'assert':
        return this.add({ op: Op.Assert, kind: n.kind, a: next, b: -1 });
      case 'cat': {
        let entry = next;
        for (let k = n.items.length - 1; k >= 0; k--) entry = this.compile(n.items[k] as Node, entry);
        return entry;
      }
      case 'alt': {
        let entry = this.compile(n.items[n.items.length - 1] as Node, next);
        for (let k = n.items.length - 2; k >= 0; k--)
          entry = this.add({ op: Op.Split, a: this.compile(n.items[k] as Node, next), b: entry });
        return entry;
      }
      case 'repeat':
        return this.repeat(n.node, n.min, n.max, next);
    }
  }

  private repeat(node: Node, min: number, max: number, next: number): number {
    let entry = next;
    if (max === Infinity) {
      // A loop: the split either runs the body again or goes on.
      const loop = this.add({ op: Op.Split, a: -1, b: next });
      (this.states[loop] as State).a = this.compile(node, loop);
      entry = loop;
    } else {
      // Optional copies, each of which may go on at once: x{0,2} is (x(x)?)?.
      for (let k = 0; k < max - min; k++) entry = this.add({ op: Op.Split, a: this.compile(node, entry), b: next });
    }
    for (let k = 0; k < min; k++) entry = this.compile(node, entry);
    return entry;
  }
}

const isWord = (s: string, i: number): boolean => i >= 0 && i < s.length && contains(WORD, s.charCodeAt(i));

function holds(kind: Assertion, s: string, i: number): boolean {
  switch (kind) {
    case 'start':
      return i === 0;
    case 'end':
      return i === s.length;
    case 'word':
      return isWord(s, i - 1) !== isWord(s, i);
    case 'notword':
      return isWord(s, i - 1) === isWord(s, i);
  }
}

/** A compiled pattern. Matching takes time proportional to input length times program size. */
export class LinearRegex {
  private readonly mark: Uint32Array;
  private generation = 0;

  constructor(
    readonly source: string,
    private readonly states: readonly State[],
    private readonly start: number,
  ) {
    this.mark = new Uint32Array(states.length);
  }

  /** Whether the whole of `s` matches (as `^(?:source)$`). */
  fullMatch(s: string): boolean {
    return this.run(s, true);
  }

  /** Whether the pattern matches somewhere in `s` (as RegExp's `test`). */
  test(s: string): boolean {
    return this.run(s, false);
  }

  private run(s: string, anchored: boolean): boolean {
    let current: number[] = [];
    let next: number[] = [];
    this.step();
    let matched = this.close(this.start, s, 0, current);
    if (matched && !anchored) return true;
    for (let i = 0; i < s.length; i++) {
      if (anchored && current.length === 0) return false;
      const c = s.charCodeAt(i);
      this.step();
      matched = false;
      for (const id of current) {
        const st = this.states[id] as State;
        if (contains(st.ranges as Ranges, c) && this.close(st.a, s, i + 1, next)) matched = true;
      }
      // Searching: a match may also begin at the next position.
      if (!anchored && this.close(this.start, s, i + 1, next)) matched = true;
      if (matched && !anchored) return true;
      [current, next] = [next, current];
      next.length = 0;
    }
    return matched;
  }

  /** A fresh generation of marks: each state is added at most once per position. */
  private step(): void {
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.mark.fill(0);
      this.generation = 1;
    }
  }

  /**
   * Adds to `list` the consuming states reachable from `from` at position `i` without
   * consuming (splits followed, assertions checked there). True when Match is reachable.
   */
  private close(from: number, s: string, i: number, list: number[]): boolean {
    let matched = false;
    const stack = [from];
    while (stack.length > 0) {
      const id = stack.pop() as number;
      if (this.mark[id] === this.generation) continue;
      this.mark[id] = this.generation;
      const st = this.states[id] as State;
      switch (st.op) {
        case Op.Match:
          matched = true;
          break;
        case Op.Set:
          list.push(id);
          break;
        case Op.Split:
          stack.push(st.b, st.a);
          break;
        case Op.Assert:
          if (holds(st.kind as Assertion, s, i)) stack.push(st.a);
          break;
      }
    }
    return matched;
  }
}

/** Compiles a pattern; throws LinearRegexError naming what is refused and where. */
export function compileLinearRegex(source: string): LinearRegex {
  const tree = parseRegex(source);
  const c = new Compiler();
  const start = c.compile(tree, 0);
  return new LinearRegex(source, c.states, start);
}

/** Why `source` cannot be a linear-time pattern, or undefined when it can (for configuration checks). */
export function checkLinearRegex(source: string): string | undefined {
  try {
    compileLinearRegex(source);
    return undefined;
  } catch (err) {
    if (err instanceof LinearRegexError) return err.message;
    throw err;
  }
}
