/**
 * Evaluating expressions and rendering `${{ }}` templates inside JSON inputs.
 *
 * A scope root may be left out (e.g. `steps` while planning): reading it yields an `Unresolved`
 * marker instead of a value, which propagates, so the planner shows `<steps.pods.output.count>`
 * where the run will know the value.
 */
import type { Expr, PathSegment } from './expression';
import { parseExpression } from './expression';
import type { JsonValue } from './model';

export type Scope = Record<string, unknown>;

/** A value only known when the run gets there. */
export class Unresolved {
  constructor(readonly ref: string) {}
  toString(): string {
    return `<${this.ref}>`;
  }
}

const WHOLE = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function refText(root: string, segs: PathSegment[]): string {
  return [root, ...segs.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))].join('').replace(/\.\[/g, '[');
}

function readPath(scope: Scope, root: string, segs: PathSegment[]): unknown {
  if (!Object.prototype.hasOwnProperty.call(scope, root)) return new Unresolved(refText(root, segs));
  let v: unknown = scope[root];
  for (const [i, seg] of segs.entries()) {
    if (v instanceof Unresolved) return new Unresolved(refText(root, segs));
    if (Array.isArray(v)) {
      if (seg === 'length') v = v.length;
      else v = typeof seg === 'number' ? v[seg] : undefined;
    } else if (isPlainObject(v)) {
      v = Object.prototype.hasOwnProperty.call(v, String(seg)) ? v[String(seg)] : undefined;
    } else if (typeof v === 'string' && seg === 'length') {
      v = v.length;
    } else {
      return i === 0 && v === undefined ? new Unresolved(refText(root, segs)) : undefined;
    }
  }
  return v;
}

export function truthy(v: unknown): boolean {
  if (v instanceof Unresolved) return true;
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v) && !(typeof v === 'number' && Number.isNaN(v));
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return (a ?? null) === (b ?? null);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(op: '<' | '<=' | '>' | '>=', a: unknown, b: unknown): boolean {
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')))
    return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function callFn(fn: string, args: unknown[]): unknown {
  const [a, b] = args;
  switch (fn) {
    case 'length':
      return typeof a === 'string' || Array.isArray(a) ? a.length : isPlainObject(a) ? Object.keys(a).length : 0;
    case 'contains':
      if (typeof a === 'string') return typeof b === 'string' && a.includes(b);
      return Array.isArray(a) && a.some((x) => equal(x, b));
    case 'startsWith':
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
    case 'lower':
      return typeof a === 'string' ? a.toLowerCase() : a;
    case 'upper':
      return typeof a === 'string' ? a.toUpperCase() : a;
    case 'join':
      return Array.isArray(a) ? a.map((x) => toText(x)).join(typeof b === 'string' ? b : ',') : toText(a);
    case 'default':
      return a === undefined || a === null || a === '' ? b : a;
    case 'number': {
      // Prometheus and many APIs send numbers as strings ("0.042").
      const n = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
      return Number.isFinite(n) ? n : null;
    }
    case 'urlencode':
      // For query strings: PromQL's `+`, `&`, `#` and spaces must not reach the URL raw.
      return encodeURIComponent(wellFormed(toText(a)));
    case 'promql':
      return promqlString(toText(a));
    case 'promqlRegex':
      // Matched literally inside `=~"…"`: RE2's metacharacters escaped first (as Go's QuoteMeta).
      return promqlString(toText(a).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'));
    case 'toJSON':
      return JSON.stringify(a ?? null);
    default:
      return undefined;
  }
}

/** A lone surrogate (encodeURIComponent throws on it) as U+FFFD, as a UTF-8 encoder writes it. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

const PROMQL_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text for inside a PromQL double-quoted string (a label matcher's value, `job="…"`): a value
 * from an alert or a param cannot close the string and add matchers or operators. Prometheus
 * reads these strings with Go's escapes, so every other control character becomes `\xNN`.
 */
function promqlString(s: string): string {
  return wellFormed(s).replace(
    // eslint-disable-next-line no-control-regex
    /[\\"\x00-\x1f\x7f]/g,
    (c) => PROMQL_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Evaluates a parsed expression against a scope. Never throws on data; missing paths are undefined. */
export function evaluate(e: Expr, scope: Scope): unknown {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'path':
      return readPath(scope, e.root, e.segs);
    case 'not': {
      const v = evaluate(e.e, scope);
      return v instanceof Unresolved ? v : !truthy(v);
    }
    case 'call': {
      const args = e.args.map((a) => evaluate(a, scope));
      const unresolved = args.find((a): a is Unresolved => a instanceof Unresolved);
      return unresolved ?? callFn(e.fn, args);
    }
    case 'bin': {
      const l = evaluate(e.l, scope);
      if (e.op === '&&' && !(l instanceof Unresolved) && !truthy(l)) return l;
      if (e.op === '||' && !(l instanceof Unresolved) && truthy(l)) return l;
      const r = evaluate(e.r, scope);
      if (e.op === '&&' || e.op === '||') {
        if (!(l instanceof Unresolved) || r instanceof Unresolved) return l instanceof Unresolved ? l : r;
        // Unknown left side: a known right side may still decide (x || true, x && false).
        if (e.op === '||') return truthy(r) ? r : l;
        return truthy(r) ? l : r;
      }
      if (l instanceof Unresolved) return l;
      if (r instanceof Unresolved) return r;
      if (e.op === '==') return equal(l, r);
      if (e.op === '!=') return !equal(l, r);
      return compare(e.op, l, r);
    }
  }
}

export function toText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Unresolved) return v.toString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Evaluates an expression given as text, with or without the `${{ }}` wrapper. */
export function evaluateText(text: string, scope: Scope): unknown {
  const whole = WHOLE.exec(text);
  return evaluate(parseExpression(whole ? (whole[1] as string) : text), scope);
}

/** True when the string holds at least one `${{ }}`. */
export function hasTemplate(s: string): boolean {
  return s.includes('${{');
}

/**
 * Every `${{ … }}` in a string, in order, as the regex /\$\{\{([\s\S]*?)\}\}/g finds them, in linear
 * time: that regex is retried at each `${{` and scans to the end when no `}}` follows (quadratic).
 */
function templateSpans(s: string): Array<{ start: number; end: number; src: string }> {
  const spans: Array<{ start: number; end: number; src: string }> = [];
  for (let from = 0; ;) {
    const start = s.indexOf('${{', from);
    if (start < 0) break;
    const close = s.indexOf('}}', start + 3);
    if (close < 0) break; // no `}}` after this `${{`, so none after any later one either
    spans.push({ start, end: close + 2, src: s.slice(start + 3, close) });
    from = close + 2;
  }
  return spans;
}

/** Every expression text inside a string, for validation. */
export function templateExpressions(s: string): string[] {
  return templateSpans(s).map((m) => m.src);
}

/** Whether some `${{` has no `}}` after it. */
export function hasUnclosedTemplate(s: string): boolean {
  const last = s.lastIndexOf('${{');
  return last >= 0 && s.indexOf('}}', last + 3) < 0;
}

/**
 * Renders templates inside a JSON value. A string that is exactly one `${{ expr }}` keeps the
 * expression's type (a number stays a number); otherwise the parts are interpolated as text.
 * Unresolved parts stay as `Unresolved` markers (whole) or `<ref>` text (interpolated).
 */
export function render(value: JsonValue, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value;
    const whole = WHOLE.exec(value);
    const spans = templateSpans(value);
    if (whole && spans.length === 1) return evaluate(parseExpression(whole[1] as string), scope);
    let out = '';
    let at = 0;
    for (const { start, end, src } of spans) {
      out += value.slice(at, start) + toText(evaluate(parseExpression(src), scope));
      at = end;
    }
    return out + value.slice(at);
  }
  if (Array.isArray(value)) return value.map((v) => render(v, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = render(v, scope);
    return out;
  }
  return value;
}

/** Whether a rendered value still holds something only the run can know. */
export function containsUnresolved(v: unknown): boolean {
  if (v instanceof Unresolved) return true;
  if (typeof v === 'string') return /<(params|steps|alert|run|output)[.[]/.test(v);
  if (Array.isArray(v)) return v.some(containsUnresolved);
  if (v !== null && typeof v === 'object') return Object.values(v).some(containsUnresolved);
  return false;
}

/** Replaces markers by their `<ref>` text, so a plan is plain JSON. */
export function toPlainJson(v: unknown): JsonValue {
  if (v instanceof Unresolved) return v.toString();
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(toPlainJson);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlainJson(x);
    return out;
  }
  return v as JsonValue;
}
