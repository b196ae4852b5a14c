/** What every notify sender shares: its dependencies, the target by name, and answers it cannot send. */
import { FAILURE } from '../../shared/failures';
import type { NotifyKind, NotifyTarget } from '../../config/load';
import type { MessageTemplates } from '../../config/notify-templates';
import type { EgressGuard } from '../egress';
import { permanent } from '../errors';
import type { SecretResolver } from '../secrets';

export interface NotifyDeps {
  fetch: typeof globalThis.fetch;
  secrets: SecretResolver;
  egress: EgressGuard;
  targets: Readonly<Record<string, NotifyTarget>>;
  /** Message templates per event kind and status page status (defaults filled in). */
  templates: MessageTemplates;
  /** Link to the run in the Web UI, for the message. */
  runUrl: (workflowId: string) => string;
  /**
   * Told after each notification a target accepted (not for dev-inbox stand-ins); the worker
   * publishes it as the `alert_sent` event. It must not throw or wait. @default none
   */
  onSent?: (sent: NotificationSent) => void;
  /**
   * Queues a runbook's event on the operational events channel and stream; absent when events
   * are off in this worker. Must not throw or wait. @default none
   */
  publishEvent?: (payload: RunbookEventPayload) => void;
}

/** A `runbook_event` payload, as src/events/contract.ts declares it. */
export interface RunbookEventPayload {
  workflowId: string;
  runbook: string;
  step: string;
  name: string;
  text?: string;
  severity?: string;
  data?: Record<string, unknown>;
}

/** A notification that went out: which channel, to which target (its name, never its address), why. */
export interface NotificationSent {
  channel: NotifyChannel;
  target: string;
  /** Why it was sent: the message's title, else its text (first 200 characters). */
  reason: string;
  workflowId: string;
}

/** The channel a target's kind sends on, as `alert_sent` names it. */
export type NotifyChannel = 'webhook' | 'slack' | 'smtp' | 'pagerduty';

// Kinds with no channel in the contract are not told: a status page is not a notification to
// someone, and a redis target publishes an event of its own.
const CHANNEL_OF_KIND: Partial<Record<NotifyKind, NotifyChannel>> = {
  webhook: 'webhook',
  slack: 'slack',
  'slack-webhook': 'slack',
  email: 'smtp',
  pagerduty: 'pagerduty',
};

/**
 * Tells `deps.onSent` of a sent notification. A listener that throws is ignored: the target
 * accepted it, and failing the activity would send it again.
 */
export function toldSent(deps: NotifyDeps, kind: NotifyKind, target: string, reason: string, workflowId: string): void {
  const channel = CHANNEL_OF_KIND[kind];
  if (!deps.onSent || !channel) return;
  try {
    deps.onSent({ channel, target, reason: reason.slice(0, 200), workflowId });
  } catch {
    // never fails the send
  }
}

/** The target configured under `name`, or a permanent failure listing the known ones. */
export function targetNamed(targets: Readonly<Record<string, NotifyTarget>>, name: string): NotifyTarget {
  const t = Object.prototype.hasOwnProperty.call(targets, name) ? targets[name] : undefined;
  if (!t)
    throw permanent(
      `no notify target '${name}' in configuration (known: ${Object.keys(targets).join(', ') || 'none'})`,
      FAILURE.UnknownTarget,
    );
  return t;
}

/** A channel action names a target of another kind. */
export function notThatKind(name: string, kind: string, action: string, wanted: string): never {
  throw permanent(
    `notify target '${name}' is of kind ${kind}: ${action} sends to kind ${wanted} only (notify:webhook:post sends to any kind)`,
    FAILURE.TargetKindUnsupported,
  );
}
