/**
 * Notifications a workflow sends by itself (escalations, "the run stopped"), to a configured
 * target by name. Each has its own idempotency key (`<workflow>/notice-<n>`), so receivers that
 * honour keys keep them all; a failure to notify never fails the workflow.
 */
import { patched } from '@temporalio/workflow';
import type { MessageEvent } from '../../shared/message-events';
import type { JsonObject, RetrySpec } from '../../shared/model';
import { callActivity } from './actions';

const NOTIFY_BY_ID_PATCH = 'notify-activity-by-action-id';
const NOTIFY_RETRY: RetrySpec = { maxAttempts: 3, initialIntervalMs: 1000, backoff: 2 };

export class Notifier {
  private sent = 0;

  constructor(private readonly run: { runbookId: string; dryRun: boolean }) {}

  /** With an event, the worker sends the configured template's text for it (`message` if none renders). */
  async notify(target: string, message: string, severity = 'warning', event?: MessageEvent): Promise<void> {
    // A dry run tells nobody.
    if (this.run.dryRun) return;
    const id = `notice-${++this.sent}`;
    // Runs that notified before actions were named by their ids scheduled `notifyWebhook`; they replay so.
    const activity = patched(NOTIFY_BY_ID_PATCH) ? 'notify:webhook:post' : 'notifyWebhook';
    await callActivity(
      activity,
      { target, message, severity, ...(event ? { event: event as unknown as JsonObject } : {}) },
      {
        id,
        action: 'notify:webhook:post',
        retry: NOTIFY_RETRY,
        timeoutMs: 30_000,
        runbookId: this.run.runbookId,
        dryRun: false,
      },
    ).catch(() => undefined);
  }
}
