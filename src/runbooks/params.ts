/** Runbook parameters: checking their declarations, and checking and typing the values a run gets. */
import { parseDuration } from '../shared/duration';
import type { ParamSpec, ParamValue } from '../shared/model';

/** Problems in a parameter's declaration. */
export function checkParamSpec(spec: { type: string; default?: ParamValue; values?: string[] }): string[] {
  const problems: string[] = [];
  if (spec.type === 'enum' && !spec.values) problems.push('an enum parameter needs values');
  if (spec.type !== 'enum' && spec.values) problems.push('only enum parameters take values');
  if (spec.default !== undefined) {
    const r = coerceParam(spec as ParamSpec, spec.default);
    if ('error' in r) problems.push(`default: ${r.error}`);
  }
  return problems;
}

/**
 * Types one value. Strings are accepted for every type (the CLI and query strings send text).
 * Durations stay in their text form (`5m`) so they read well in the run; templates parse them.
 */
export function coerceParam(spec: ParamSpec, value: unknown): { value: ParamValue } | { error: string } {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? { value } : { error: 'expected a string' };
    case 'int': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      return typeof n === 'number' && Number.isSafeInteger(n) ? { value: n } : { error: 'expected an integer' };
    }
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? { value: n } : { error: 'expected a number' };
    }
    case 'bool':
      if (typeof value === 'boolean') return { value };
      if (value === 'true' || value === 'false') return { value: value === 'true' };
      return { error: 'expected true or false' };
    case 'enum':
      return typeof value === 'string' && spec.values?.includes(value)
        ? { value }
        : { error: `expected one of ${(spec.values ?? []).join(', ')}` };
    case 'duration':
      return typeof value === 'string' && parseDuration(value) !== undefined
        ? { value }
        : { error: 'expected a duration such as 30s, 5m, 1h' };
  }
}

export interface ParamError {
  /** `params.<name>` */
  field: string;
  message: string;
}

/** Checks the params given for a run: unknown names, missing required ones, types; fills defaults. */
export function resolveParams(
  specs: Record<string, ParamSpec>,
  given: Record<string, unknown>,
): { params: Record<string, ParamValue> } | { errors: ParamError[] } {
  const errors: ParamError[] = [];
  const params: Record<string, ParamValue> = {};
  for (const name of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(specs, name)) {
      errors.push({
        field: `params.${name}`,
        message: `unknown parameter (known: ${Object.keys(specs).join(', ') || 'none'})`,
      });
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const v = Object.prototype.hasOwnProperty.call(given, name) ? given[name] : undefined;
    if (v === undefined || v === null) {
      if (spec.default !== undefined) params[name] = spec.default;
      else if (spec.required) errors.push({ field: `params.${name}`, message: 'required' });
      continue;
    }
    const r = coerceParam(spec, v);
    if ('error' in r) errors.push({ field: `params.${name}`, message: r.error });
    else params[name] = r.value;
  }
  return errors.length > 0 ? { errors } : { params };
}
