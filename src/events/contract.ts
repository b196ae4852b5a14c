/**
 * The operational events contract (seed 000, "Event Taxonomy and Routing"): every event is one
 * JSON object `{ "event_type", "timestamp", "payload" }`, in that key order, published on a Redis
 * Pub/Sub channel. Downstream monitors parse it, so these names and shapes are a wire format:
 * add fields, never rename or drop one.
 */
import { z } from 'zod';
import type { FreezeScope } from '../shared/coordination';

/** The seed's default channel, and the stream a consumer that was down catches up from (defaults of AppConfig.events). */
export { OPERATIONAL_EVENTS_CHANNEL, OPERATIONAL_EVENTS_STREAM } from '../config/events';

/** The stream entry's one field; its value is the same JSON text as the Pub/Sub message. */
export const STREAM_FIELD = 'event';

/**
 * Event type names, snake_case `<subject>_<past participle>` like the seed's `alert_sent` and
 * `blocklist_sync_completed`.
 */
export const EVENT_TYPES = {
  alertSent: 'alert_sent',
  runStarted: 'run_started',
  runFinished: 'run_finished',
  approvalRequested: 'approval_requested',
  approvalDecided: 'approval_decided',
  stepPaused: 'step_paused',
  freezeChanged: 'freeze_changed',
  runbookEvent: 'runbook_event',
} as const;

export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** The seed lists webhook, slack and smtp; pagerduty is the product's fourth channel. */
export const ALERT_CHANNELS = ['webhook', 'slack', 'smtp', 'pagerduty'] as const;

// Which run an event is about: the workflow id names it across continue-as-new, the runbook says what it runs.
const run = { workflowId: z.string().min(1), runbook: z.string().min(1) };

const freezeScope = z.union([
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.enum(['service', 'namespace', 'runbook']), value: z.string().min(1) }),
]) satisfies z.ZodType<FreezeScope>; // the kill switch's own type, so the two cannot drift apart

/**
 * Payload schemas per event type. Strict, so a test catches a field sent but never declared here;
 * a consumer built against an older contract should ignore keys it does not know instead.
 */
export const PAYLOAD_SCHEMAS = {
  alert_sent: z.strictObject({
    channel: z.enum(ALERT_CHANNELS),
    /** The notify target's name from configuration (never its URL or secret). */
    target: z.string().min(1),
    /** Why it was sent, e.g. `approval requested for step restart`. */
    reason: z.string(),
    workflowId: z.string().min(1).optional(),
    /** The event the notification was about, when it was about one (the seed's optional `event_type`). */
    event_type: z.string().min(1).optional(),
  }),
  run_started: z.strictObject({ ...run, trigger: z.string().min(1), requestedBy: z.string().min(1).optional() }),
  run_finished: z.strictObject({
    ...run,
    trigger: z.string().min(1),
    /** `auto_resolved`: the alert that started the run cleared before it finished (added after the first version). */
    outcome: z.enum(['succeeded', 'failed', 'rejected', 'cancelled', 'auto_resolved']),
  }),
  approval_requested: z.strictObject({
    ...run,
    stepId: z.string().min(1),
    /** Identities and `group:<name>`s that may decide; empty means any approver. */
    approvers: z.array(z.string().min(1)),
    /** Distinct approvals needed (N of M). */
    required: z.number().int().min(1),
    /** Asked after an emergency change went ahead: the change stands whatever comes (added later). */
    retroactive: z.literal(true).optional(),
  }),
  approval_decided: z.strictObject({
    ...run,
    stepId: z.string().min(1),
    outcome: z.enum(['approved', 'rejected', 'timeout', 'alert_resolved']),
    /** Who voted, as the verified decisions name them; empty after a timeout. */
    decidedBy: z.array(z.string().min(1)),
    /** A retroactive approval's outcome (timeout: overdue; the change stands either way). */
    retroactive: z.literal(true).optional(),
  }),
  step_paused: z.strictObject({ ...run, stepId: z.string().min(1), reason: z.string() }),
  freeze_changed: z.strictObject({
    /** True when a freeze was put in force, false when it was lifted. */
    frozen: z.boolean(),
    freezeId: z.string().min(1),
    /** What it covers, as the kill switch holds it: `{ kind: 'all' }` or `{ kind: 'service', value: 'api' }`. */
    scope: freezeScope,
    reason: z.string(),
    changedBy: z.string().min(1),
  }),
  /** Published by a runbook (`notify:redis:publish`, or any notification to a `kind: redis` target). */
  runbook_event: z.strictObject({
    ...run,
    step: z.string().min(1),
    /** The runbook's own name for it, snake_case (`notification` for a plain notification). */
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    text: z.string().optional(),
    severity: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
} satisfies Record<EventType, z.ZodType>;

export type EventPayloads = { [K in EventType]: z.infer<(typeof PAYLOAD_SCHEMAS)[K]> };

/** One event as it goes on the wire. */
export type OperationalEvent = {
  [K in EventType]: {
    event_type: K;
    /** UTC ISO-8601 with milliseconds and `Z`, e.g. `2026-12-01T13:37:00.000Z`. */
    timestamp: string;
    payload: EventPayloads[K];
  };
}[EventType];

/** What a caller publishes: the timestamp is stamped when `publish` is called unless given. */
export type EventInput = {
  [K in EventType]: { event_type: K; payload: EventPayloads[K]; timestamp?: string };
}[EventType];

/** `Date#toISOString` output: always UTC, always milliseconds. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Stamps an input into a wire event, keys in the contract's order. */
export function stampEvent(input: EventInput, now: Date = new Date()): OperationalEvent {
  return {
    event_type: input.event_type,
    timestamp: input.timestamp ?? now.toISOString(),
    payload: input.payload,
  } as OperationalEvent;
}

/** The JSON text published and appended. */
export function encodeEvent(event: OperationalEvent): string {
  return JSON.stringify({ event_type: event.event_type, timestamp: event.timestamp, payload: event.payload });
}

const envelope = z.strictObject({
  event_type: z.enum(Object.values(EVENT_TYPES) as [EventType, ...EventType[]]),
  timestamp: z.string().regex(ISO_UTC, 'a UTC ISO-8601 timestamp like 2026-12-01T13:37:00.000Z'),
  payload: z.record(z.string(), z.unknown()),
});

/** The result of reading one message: the event, or why it is not one of ours. */
export type DecodeResult = { ok: true; event: OperationalEvent } | { ok: false; error: string };

/** Reads one message as a consumer would, refusing anything outside the contract. */
export function decodeEvent(text: string): DecodeResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const head = envelope.safeParse(json);
  if (!head.success) return { ok: false, error: z.prettifyError(head.error) };
  const body = PAYLOAD_SCHEMAS[head.data.event_type].safeParse(head.data.payload);
  if (!body.success) return { ok: false, error: `${head.data.event_type} payload: ${z.prettifyError(body.error)}` };
  return { ok: true, event: { ...head.data, payload: body.data } as OperationalEvent };
}
