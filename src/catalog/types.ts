import type { z } from 'zod';
import type { FailureType } from '../shared/failures';
import type { JsonObject } from '../shared/model';

/**
 * One entry of the action catalog: what a runbook step may name in `action:`.
 * Ids are `system:entity:verb` (or `system:verb` for the generic http ones).
 */
export interface CatalogEntry<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodType = z.ZodType,
  A extends string = string,
> {
  id: string;
  /** The Temporal activity type that runs it (what the Web UI shows); a literal, so workflows call it typed. */
  activity: A;
  description: string;
  input: I;
  output: O;
  /**
   * Whether the action changes the world. A function of the step's literal inputs where it depends
   * on them (an HTTP GET does not mutate; a POST may). Templated inputs count as mutating.
   */
  mutating: boolean | ((input: JsonObject) => boolean);
  /** Not called in dry runs even though it changes nothing we manage (e.g. paging people). */
  skipInDryRun?: boolean;
  /** Failure types this action throws that are never worth retrying. */
  nonRetryable: FailureType[];
  /** What a mutating call would do, for dry runs and plans. */
  describe: (input: z.infer<I>) => string;
  /** A runnable example: the docs show it and a test runs it. */
  example: { with: JsonObject; note?: string };
}

export function isMutating(entry: CatalogEntry, input: JsonObject): boolean {
  return typeof entry.mutating === 'function' ? entry.mutating(input) : entry.mutating;
}
