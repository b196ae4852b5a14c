/** A step's catalog action, checked at load: known action, known and required inputs, literal values. */
import type { z } from 'zod';
import { catalogEntry, isMutating, requiresApproval } from '../../catalog';
import type { ActionRef, JsonObject } from '../../shared/model';
import { hasTemplate } from '../../shared/template';
import type { Report } from '../compile-util';

function hasTemplateDeep(v: unknown): boolean {
  if (typeof v === 'string') return hasTemplate(v);
  if (Array.isArray(v)) return v.some(hasTemplateDeep);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasTemplateDeep);
  return false;
}

export function compileActionRef(
  action: string,
  inputs: JsonObject,
  path: PropertyKey[],
  withPath: PropertyKey[],
  report: Report,
): ActionRef {
  const entry = catalogEntry(action);
  if (!entry) {
    report(path, `unknown action '${action}'`);
    return { action, activity: 'unknown', mutating: true, with: inputs };
  }
  const shape = entry.input.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(inputs)) {
    const field = shape[key];
    if (!field) {
      report([...withPath, key], `'${action}' has no input '${key}' (it takes ${Object.keys(shape).join(', ')})`);
    } else if (!hasTemplateDeep(value)) {
      const r = field.safeParse(value);
      if (!r.success) for (const issue of r.error.issues) report([...withPath, key, ...issue.path], issue.message);
    }
  }
  for (const [key, field] of Object.entries(shape)) {
    if (!(key in inputs) && !field.safeParse(undefined).success) report(withPath, `'${action}' needs input '${key}'`);
  }
  // Templated inputs may take any value at run time: the entry treats them as possibly mutating.
  const mutating = isMutating(entry, inputs);
  // A former id loads as the action it now is (one name per action).
  return {
    action: entry.id,
    activity: entry.id,
    mutating,
    ...(entry.skipInDryRun ? { skipInDryRun: true } : {}),
    ...(entry.heartbeatTimeoutMs ? { heartbeatTimeoutMs: entry.heartbeatTimeoutMs } : {}),
    ...(requiresApproval(entry, inputs) ? { requiresApproval: true as const } : {}),
    ...(entry.nonRetryable.length ? { nonRetryable: entry.nonRetryable } : {}),
    with: inputs,
  };
}
