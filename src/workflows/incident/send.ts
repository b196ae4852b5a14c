/**
 * What an incident sends: pages, reminders, stakeholder and status-page updates, each through a
 * configured target by name and each with its own idempotency key (`<incident id>.<kind>-<n>`,
 * counted across continued runs; the workflow id is the service's and outlives one incident). A
 * failure to send is put on the timeline and never fails the incident.
 */
import { callActivity, describeFailure } from '../kit';
import type { JsonObject, RetrySpec } from '../../shared/model';
import type { IncidentBook } from './book';

const RETRY: RetrySpec = { maxAttempts: 4, initialIntervalMs: 1000, backoff: 2 };

export type Urgency = 'critical' | 'warning' | 'info';

export class IncidentSender {
  constructor(private readonly book: IncidentBook) {}

  /** Sends through an action; true when it went. */
  async send(kind: string, action: string, input: JsonObject): Promise<boolean> {
    const id = `${this.book.record.id}.${this.book.nextEvent(kind)}`;
    try {
      await callActivity(action, input, {
        id,
        action,
        retry: RETRY,
        timeoutMs: 30_000,
        runbookId: 'incident',
        dryRun: false,
      });
      return true;
    } catch (err) {
      this.book.add(
        'note',
        'system',
        `${kind} to ${String(input.target)} failed: ${describeFailure(err).message}`,
        false,
      );
      return false;
    }
  }

  /** A plain notice to a target of any kind (`notify:webhook:post` speaks them all). */
  notify(kind: string, target: string, message: string, urgency: Urgency): Promise<boolean> {
    return this.send(kind, 'notify:webhook:post', { target, message, severity: urgency });
  }
}
