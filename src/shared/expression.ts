/**
 * A small, safe expression language for runbook templates: `${{ params.service }}`,
 * `${{ steps.probe.output.status == 200 && !params.force }}`.
 *
 * No JavaScript eval: text is parsed into a tree and interpreted. Member access reads own
 * properties of plain data only, and `__proto__`, `constructor` and `prototype` are rejected at
 * parse time, so a template can never reach the prototype chain. Pure and deterministic, so the
 * workflow sandbox uses it as well as the loader and the planner.
 */

export type PathSegment = string | number;
export type Expr =
  | { t: 'lit'; v: string | number | boolean | null }
  | { t: 'path'; root: string; segs: PathSegment[] }
  | { t: 'not'; e: Expr }
  | { t: 'bin'; op: BinOp; l: Expr; r: Expr }
  | { t: 'call'; fn: FunctionName; args: Expr[] };

type BinOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';
export const FUNCTIONS = [
  'length',
  'contains',
  'startsWith',
  'lower',
  'upper',
  'join',
  'default',
  'toJSON',
  'number',
  'urlencode',
  'promql',
  'promqlRegex',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** Argument counts, checked when parsed (as GitHub does): `startsWith(x)` is a mistake, not false. */
const ARITY: Record<FunctionName, [min: number, max: number]> = {
  length: [1, 1],
  contains: [2, 2],
  startsWith: [2, 2],
  lower: [1, 1],
  upper: [1, 1],
  join: [1, 2],
  default: [2, 2],
  toJSON: [1, 1],
  number: [1, 1],
  urlencode: [1, 1],
  promql: [1, 1],
  promqlRegex: [1, 1],
};

/**
 * Limits, after GitHub (21,000 characters, depth 50, where a || chain counts once; here each
 * operator counts, so 100): longer or deeper text is refused with a position, not a stack overflow.
 */
export const MAX_EXPRESSION_LENGTH = 21_000;
export const MAX_EXPRESSION_DEPTH = 100;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Token = { k: 'num' | 'str' | 'id' | 'op'; v: string; at: number };
const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|'([^']*)'|"([^"]*)"|([A-Za-z_][A-Za-z0-9_-]*)|(==|!=|<=|>=|&&|\|\||[<>!().,[\]]))/y;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(src);
    if (!m) throw new ExpressionError(`unexpected character '${src.slice(at).trim()[0]}'`, at);
    const start = at + (m[0].length - m[0].trimStart().length);
    if (m[1] !== undefined) out.push({ k: 'num', v: m[1], at: start });
    else if (m[2] !== undefined || m[3] !== undefined) out.push({ k: 'str', v: (m[2] ?? m[3]) as string, at: start });
    else if (m[4] !== undefined) out.push({ k: 'id', v: m[4], at: start });
    else out.push({ k: 'op', v: m[5] as string, at: start });
    at = TOKEN.lastIndex;
  }
  return out;
}

/** Parses one expression (the text between `${{` and `}}`). Throws ExpressionError. */
export function parseExpression(src: string): Expr {
  if (src.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  }
  const toks = tokenize(src);
  let i = 0;
  // Nesting so far: parentheses, call arguments, `!`, and each operator of a chain (a chain of n
  // operators is a tree n deep). Bounds every recursion over the tree (evaluate, referencedPaths).
  let depth = 0;
  const deeper = (): void => {
    if (++depth > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionError(`nested deeper than ${MAX_EXPRESSION_DEPTH}`, peek()?.at ?? src.length);
    }
  };
  const peek = (): Token | undefined => toks[i];
  const isOp = (v: string): boolean => peek()?.k === 'op' && peek()?.v === v;
  const expect = (v: string): void => {
    if (!isOp(v)) throw new ExpressionError(`expected '${v}'`, peek()?.at ?? src.length);
    i++;
  };
  const binary = (ops: BinOp[], next: () => Expr) => (): Expr => {
    const outer = depth;
    let l = next();
    while (peek()?.k === 'op' && (ops as string[]).includes(peek()?.v as string)) {
      const op = (toks[i++] as Token).v as BinOp;
      deeper();
      l = { t: 'bin', op, l, r: next() };
    }
    depth = outer;
    return l;
  };
  const unary = (): Expr => {
    if (isOp('!')) {
      i++;
      deeper();
      const e: Expr = { t: 'not', e: unary() };
      depth--;
      return e;
    }
    return primary();
  };
  // As in GitHub (and C, JS): `<` binds tighter than `==`, so `a == b > c` is `a == (b > c)`.
  const relational = binary(['<', '<=', '>', '>='], unary);
  const comparison = binary(['==', '!='], relational);
  const and = binary(['&&'], comparison);
  const or = binary(['||'], and);

  function primary(): Expr {
    const tok = toks[i++];
    if (!tok) throw new ExpressionError('unexpected end of expression', src.length);
    if (tok.k === 'num') return { t: 'lit', v: Number(tok.v) };
    if (tok.k === 'str') return { t: 'lit', v: tok.v };
    if (tok.k === 'op' && tok.v === '(') {
      deeper();
      const e = or();
      expect(')');
      depth--;
      return e;
    }
    if (tok.k !== 'id') throw new ExpressionError(`unexpected '${tok.v}'`, tok.at);
    if (tok.v === 'true' || tok.v === 'false') return { t: 'lit', v: tok.v === 'true' };
    if (tok.v === 'null') return { t: 'lit', v: null };
    if (isOp('(')) return call(tok);
    return path(tok);
  }

  function call(tok: Token): Expr {
    if (!(FUNCTIONS as readonly string[]).includes(tok.v))
      throw new ExpressionError(`unknown function '${tok.v}'`, tok.at);
    expect('(');
    deeper();
    const args: Expr[] = [];
    if (!isOp(')')) {
      args.push(or());
      while (isOp(',')) {
        i++;
        args.push(or());
      }
    }
    expect(')');
    depth--;
    const fn = tok.v as FunctionName;
    const [min, max] = ARITY[fn];
    if (args.length < min || args.length > max) {
      const want = min === max ? `${min}` : `${min} or ${max}`;
      throw new ExpressionError(`${fn} takes ${want} argument${max === 1 ? '' : 's'}, not ${args.length}`, tok.at);
    }
    return { t: 'call', fn, args };
  }

  function path(tok: Token): Expr {
    checkName(tok.v, tok.at);
    const segs: PathSegment[] = [];
    for (;;) {
      if (isOp('.')) {
        i++;
        const name = toks[i++];
        if (!name || name.k !== 'id') throw new ExpressionError("expected a name after '.'", name?.at ?? src.length);
        checkName(name.v, name.at);
        segs.push(name.v);
      } else if (isOp('[')) {
        i++;
        const key = toks[i++];
        if (!key || (key.k !== 'num' && key.k !== 'str')) {
          throw new ExpressionError('only a number or a quoted name may stand in [ ]', key?.at ?? src.length);
        }
        if (key.k === 'str') checkName(key.v, key.at);
        segs.push(key.k === 'num' ? Number(key.v) : key.v);
        expect(']');
      } else {
        return { t: 'path', root: tok.v, segs };
      }
    }
  }

  const e = or();
  if (i < toks.length) throw new ExpressionError(`unexpected '${(toks[i] as Token).v}'`, (toks[i] as Token).at);
  return e;
}

function checkName(name: string, at: number): void {
  if (FORBIDDEN.has(name)) throw new ExpressionError(`'${name}' may not be accessed`, at);
}

/** Every path an expression reads, for load-time checks that references can exist. */
export function referencedPaths(e: Expr): Array<{ root: string; segs: PathSegment[] }> {
  switch (e.t) {
    case 'lit':
      return [];
    case 'path':
      return [{ root: e.root, segs: e.segs }];
    case 'not':
      return referencedPaths(e.e);
    case 'bin':
      return [...referencedPaths(e.l), ...referencedPaths(e.r)];
    case 'call':
      return e.args.flatMap(referencedPaths);
  }
}
