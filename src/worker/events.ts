/**
 * Operational events from the worker (docs/events.md): what workflows report through the
 * `runbookEvents` sinks and what the notify activities tell `onSent`, published as contract events.
 * Neither workflows nor activities import the publisher; this file is the one bridge.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { NotificationSent, RunbookEventPayload } from '../activities/notify';
import { createNoopPublisher, type EventPublisher } from '../events/publisher';
import type { RunbookEventsSinks } from '../shared/sinks';
import type { WorkerMetrics } from './metrics';

/**
 * Every sink the workflows call: metrics, and events (to a no-op publisher when none is given,
 * since a workflow calling a sink the worker lacks makes the worker log an error).
 */
export function workerSinks(
  metrics: Pick<WorkerMetrics, 'sinks'>,
  events: EventPublisher = createNoopPublisher(),
): WorkerMetrics['sinks'] & InjectedSinks<RunbookEventsSinks> {
  return { ...metrics.sinks, ...eventSinks(events) };
}

/** The sinks that publish the run's events (run, approval); never called on replay (no repeats). */
export function eventSinks(events: EventPublisher): InjectedSinks<RunbookEventsSinks> {
  return {
    runbookEvents: {
      runStarted: {
        fn: (_info, payload) => events.publish({ event_type: 'run_started', payload }),
        callDuringReplay: false,
      },
      runFinished: {
        fn: (_info, payload) => events.publish({ event_type: 'run_finished', payload }),
        callDuringReplay: false,
      },
      approvalRequested: {
        fn: (_info, payload) => events.publish({ event_type: 'approval_requested', payload }),
        callDuringReplay: false,
      },
      approvalDecided: {
        fn: (_info, payload) => events.publish({ event_type: 'approval_decided', payload }),
        callDuringReplay: false,
      },
      stepPaused: {
        fn: (_info, payload) => events.publish({ event_type: 'step_paused', payload }),
        callDuringReplay: false,
      },
      freezeChanged: {
        fn: (_info, payload) => events.publish({ event_type: 'freeze_changed', payload }),
        callDuringReplay: false,
      },
    },
  };
}

/** The notify activities' `onSent`, published as `alert_sent`. */
export function alertSent(events: EventPublisher): (sent: NotificationSent) => void {
  return (sent) => events.publish({ event_type: 'alert_sent', payload: { ...sent } });
}

/** The notify activities' `publishEvent` (kind redis targets), published as `runbook_event`. */
export function runbookEvent(events: EventPublisher): (payload: RunbookEventPayload) => void {
  return (payload) => events.publish({ event_type: 'runbook_event', payload });
}
