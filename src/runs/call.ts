/**
 * Every Temporal call the API side makes (runs, the kill switch, schedules) goes through one
 * deadline. The SDK would retry an unreachable server for ~25 s; a person, a starting process or
 * Alertmanager waiting to retry on a 5xx is better served by a prompt RunError('unavailable') (503).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { isUnavailable, RunError } from './errors';

/** @default 8000 */
export const DEFAULT_DEADLINE_MS = 8000;

/** How the errors of one call read to the caller; errors not named here pass through. */
export interface CallErrors {
  /** A missing workflow or schedule is a 404 with this message. */
  notFound?: string;
  /** A schedule id already taken is a 409 with this message. */
  alreadyExists?: string;
  /** An update the workflow's validator refused is a 409 with its reason. */
  updateRefused?: boolean;
  /** The request field these errors name. */
  field?: string;
}

export type TemporalCall = <T>(fn: () => Promise<T>, errors?: CallErrors) => Promise<T>;

export function temporalCall(client: Pick<Client, 'connection'>, deadlineMs = DEFAULT_DEADLINE_MS): TemporalCall {
  return async (fn, e = {}) => {
    try {
      return await client.connection.withDeadline(Date.now() + deadlineMs, fn);
    } catch (err) {
      if (err instanceof RunError) throw err;
      const notFound = err instanceof WorkflowNotFoundError || err instanceof ScheduleNotFoundError;
      if (notFound && e.notFound) throw new RunError('not_found', e.notFound, e.field);
      if (err instanceof ScheduleAlreadyRunning && e.alreadyExists)
        throw new RunError('conflict', e.alreadyExists, e.field);
      if (err instanceof WorkflowUpdateFailedError && e.updateRefused) {
        throw new RunError('conflict', err.cause?.message ?? err.message, e.field);
      }
      if (isUnavailable(err)) throw new RunError('unavailable', `Temporal is unreachable: ${(err as Error).message}`);
      throw err;
    }
  };
}
