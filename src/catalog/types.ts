import type { z } from 'zod';
import type { FailureType } from '../shared/failures';
import type { JsonObject } from '../shared/model';

/** What an example needs to run, beyond a loopback HTTP receiver (which test tier runs it). */
/** `pitr`: a primary archiving its WAL into a store, with a base backup there (test/integration/postgres-pitr.test.ts). */
export type ExampleNeeds = 'kubernetes' | 'postgres' | 'pitr' | 'redis';

/**
 * One entry of the action catalog: what a runbook step may name in `action:`. One name per
 * action: the id, `system:entity:verb` with a singular entity, is also the Temporal activity type
 * that runs it (what the Web UI shows); a literal, so workflows call it typed.
 */
export interface CatalogEntry<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodType = z.ZodType,
  A extends string = string,
> {
  id: A;
  /**
   * What it was called before: runbooks naming an old id still load (as this one), and runs
   * started before the rename, whose compiled steps name the old activity, still find it.
   */
  formerly?: { ids?: string[]; activity?: string };
  description: string;
  input: I;
  output: O;
  /**
   * Whether the action changes the world. A function of the step's literal inputs where it depends
   * on them (an HTTP GET does not mutate; a POST may). Templated inputs count as mutating.
   */
  mutating: boolean | ((input: JsonObject) => boolean);
  /**
   * Whether a step naming it must be covered by an approval step (`covers:` lists it): a runbook
   * whose step lacks one does not load. For what cannot be taken back (`FLUSHDB`, a restore that
   * replaces a database). A function of the literal inputs where it depends on them; templated
   * inputs count as requiring it.
   */
  requiresApproval?: boolean | ((input: JsonObject) => boolean);
  /**
   * A long action (a backup, a restore) heartbeats with its progress: calls set this heartbeat
   * timeout, so a worker that died is noticed in this time rather than after the whole step
   * timeout, and a cancellation reaches the activity (it is delivered on a heartbeat).
   */
  heartbeatTimeoutMs?: number;
  /** Not called in dry runs even though it changes nothing we manage (e.g. paging people). */
  skipInDryRun?: boolean;
  /** Failure types this action throws that are never worth retrying. */
  nonRetryable: FailureType[];
  /** What a mutating call would do, for dry runs and plans. */
  describe: (input: z.infer<I>) => string;
  /** A runnable example: the docs show it and a test runs it. */
  example: { with: JsonObject; note?: string; needs?: ExampleNeeds };
}

export function requiresApproval(entry: CatalogEntry, input: JsonObject): boolean {
  const r = entry.requiresApproval;
  return typeof r === 'function' ? r(input) : r === true;
}

export function isMutating(entry: CatalogEntry, input: JsonObject): boolean {
  return typeof entry.mutating === 'function' ? entry.mutating(input) : entry.mutating;
}
