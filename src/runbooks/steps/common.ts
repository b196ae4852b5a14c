/**
 * What every step kind shares on the loader side: the authoring fields every step may carry, the
 * compiled common fields, and the contract a kind module fulfils (schema, compile, plan).
 */
import { z } from 'zod';
import type { RetrySpec, Step, StepKind } from '../../shared/model';
import type { PlanStep } from '../plan-types';
import { ms, type Report } from '../compile-util';
import type { ReferenceContext } from '../references';

export const ID = /^[a-z][a-z0-9-]*$/;
export const duration = z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$/, 'a duration such as 30s, 5m, 1h30m');

export const retrySpec = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).optional().describe('@default 3'),
    initialInterval: duration.optional().describe('@default 1s'),
    backoff: z.number().min(1).max(10).optional().describe('@default 2'),
    maxInterval: duration.optional(),
    nonRetryable: z.array(z.string()).optional(),
  })
  .strict();

/** Fields every step may carry, whatever its kind. */
export const stepCommon = {
  id: z.string().regex(ID, 'lower-case letters, digits and dashes, starting with a letter'),
  name: z.string().optional(),
  when: z
    .string()
    .optional()
    .describe('Run only when this expression is truthy, e.g. ${{ steps.probe.output.ok == false }}'),
  retry: retrySpec.optional(),
  timeout: duration.optional(),
  onFailure: z
    .enum(['fail', 'continue', 'pause'])
    .optional()
    .describe('@default fail. pause: wait for an operator to retry, skip (with a reason) or abort.'),
  required: z
    .boolean()
    .optional()
    .describe(
      'Notifications only (notify steps and notify:* actions): true makes a failed notification fail the run. @default false: the failure is recorded and the run goes on',
    ),
  pause: z
    .object({
      timeout: duration.optional().describe('@default 1h'),
      escalateTo: z
        .string()
        .optional()
        .describe('Notify target told when the deadline passes; the step then waits as long again, then aborts.'),
    })
    .strict()
    .optional(),
};

export const inputs = z.record(z.string(), z.json());

export type AuthoredCommon = z.infer<z.ZodObject<typeof stepCommon>>;
/** A validated authored step: the common fields plus its kind's own. */
export type AnyStep = AuthoredCommon & Record<string, unknown>;

/** The compiled fields every step has (its kind module adds `kind`, `timeoutMs` and its own). */
export type CommonStep = Pick<Step, 'id' | 'name' | 'when' | 'retry' | 'onFailure' | 'pause'>;

export const DEFAULT_ACTION_TIMEOUT_MS = 60_000;

export function compileRetry(r: AuthoredCommon['retry']): RetrySpec {
  return {
    maxAttempts: r?.maxAttempts ?? 3,
    initialIntervalMs: ms(r?.initialInterval, 1000),
    backoff: r?.backoff ?? 2,
    ...(r?.maxInterval ? { maxIntervalMs: ms(r.maxInterval, 0) } : {}),
    ...(r?.nonRetryable ? { nonRetryable: r.nonRetryable } : {}),
  };
}

/** What a kind's compile is given besides the authored step. */
export interface KindCompiler {
  /** What the step's templates may read. */
  ctx: ReferenceContext;
  /** The step's path in the file, for problems. */
  path: PropertyKey[];
  report: Report;
  /** Compiles a child step (containers): same checks, same id space, what is finished before. */
  child(raw: AnyStep, path: PropertyKey[]): Step;
}

/** One step kind on the loader side. The table in ./index.ts holds every kind (the type checker keeps it complete). */
export interface StepKindModule<K extends StepKind> {
  /** The key that names the kind in a step, e.g. `wait:`; the kind's own name. */
  kind: K;
  /** Validates one step of this kind (a container's children are checked one by one, after it). */
  schema: z.ZodObject;
  /** Containers: the key holding the children (`parallel`). */
  children?: string;
  /** The full authoring schema for the editor's JSON Schema, when it differs (containers refer to any step). */
  editorSchema?: (anyStep: z.ZodType) => z.ZodType;
  /** Common fields this kind cannot honour, refused (with these messages) rather than ignored. */
  refuses?: { retry?: string; timeout?: string; pause?: string };
  compile(raw: AnyStep, common: CommonStep, c: KindCompiler): Extract<Step, { kind: K }>;
  /** What the plan shows of it beyond the fields every step has; `child` plans a child step. */
  plan(
    step: Extract<Step, { kind: K }>,
    scope: Record<string, unknown>,
    child: (s: Step) => PlanStep,
  ): Partial<PlanStep>;
}
