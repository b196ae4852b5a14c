/** Load-time checks of template expressions: they parse, and every reference can exist. */
import { ExpressionError, parseExpression, referencedPaths } from '../shared/expression';
import type { JsonValue } from '../shared/model';
import { hasUnclosedTemplate, templateExpressions } from '../shared/template';

/** Fields of `run` a template may read. */
export const RUN_FIELDS = ['id', 'runbookId', 'requestedBy', 'trigger', 'dryRun', 'startedAt'] as const;
const STEP_FIELDS = ['output', 'state', 'attempts', 'note'];

export interface ReferenceContext {
  params: ReadonlySet<string>;
  /** Steps finished before this point (not parallel siblings, not later steps). */
  steps: ReadonlySet<string>;
  /** `output` is only known inside a verify step's `until`. */
  allowOutput: boolean;
}

/** Checks one expression text; returns the problems found (empty when fine). */
export function checkExpression(src: string, ctx: ReferenceContext): string[] {
  let expr;
  try {
    expr = parseExpression(src);
  } catch (err) {
    const at = err instanceof ExpressionError ? ` at character ${err.at + 1}` : '';
    return [`invalid expression '${src.trim()}': ${(err as Error).message}${at}`];
  }
  const problems: string[] = [];
  for (const { root, segs } of referencedPaths(expr)) {
    const [first, second] = segs;
    switch (root) {
      case 'params':
        if (typeof first !== 'string' || !ctx.params.has(first)) problems.push(`unknown parameter '${String(first)}'`);
        break;
      case 'steps':
        if (typeof first !== 'string' || !ctx.steps.has(first)) {
          problems.push(
            `step '${String(first)}' is not finished before this point (only earlier steps, not parallel siblings, can be read)`,
          );
        } else if (second !== undefined && !STEP_FIELDS.includes(String(second))) {
          problems.push(`steps.${first}.${String(second)}: a step has ${STEP_FIELDS.join(', ')}`);
        }
        break;
      case 'run':
        if (typeof first !== 'string' || !(RUN_FIELDS as readonly string[]).includes(first)) {
          problems.push(`run.${String(first)}: run has ${RUN_FIELDS.join(', ')}`);
        }
        break;
      case 'alert':
        break;
      case 'output':
        if (!ctx.allowOutput) problems.push("'output' is only known in a verify step's until");
        break;
      case 'secrets':
        problems.push('secrets are never templated into inputs (they would be stored in history); use secretHeaders');
        break;
      default:
        problems.push(`unknown name '${root}' (use params, steps, run or alert)`);
    }
  }
  return problems;
}

/** Checks every template inside a JSON value; reports problems with the path below `base`. */
export function checkTemplates(
  value: JsonValue | undefined,
  ctx: ReferenceContext,
  base: PropertyKey[],
  report: (path: PropertyKey[], message: string) => void,
): void {
  if (typeof value === 'string') {
    for (const src of templateExpressions(value)) for (const p of checkExpression(src, ctx)) report(base, p);
    if (hasUnclosedTemplate(value)) report(base, "unclosed '${{'");
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkTemplates(v, ctx, [...base, i], report));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkTemplates(v, ctx, [...base, k], report);
  }
}

/** A bare expression field (`when`, `until`): the `${{ }}` wrapper is optional. */
export function checkCondition(
  text: string,
  ctx: ReferenceContext,
  path: PropertyKey[],
  report: (path: PropertyKey[], message: string) => void,
): void {
  const inner = templateExpressions(text);
  const sources = inner.length > 0 ? inner : [text];
  for (const src of sources) for (const p of checkExpression(src, ctx)) report(path, p);
}
