/**
 * `kind: redis` targets: a runbook's event handed to the worker's operational events publisher
 * (the seed's channel plus the stream), which queues it and never blocks or fails the run.
 * Without events configured (OPERATIONAL_EVENT_STREAM_ENABLED, REDIS_URL) it fails plainly.
 */
import type { NotifyRedisPublishInput, NotifyRedisPublishResult } from '../../catalog/redis-event';
import type { NotifyWebhookInput, NotifyWebhookResult } from '../../catalog/notify';
import type { StepContext } from '../../shared/activity-types';
import { FAILURE } from '../../shared/failures';
import { permanent } from '../errors';
import { notThatKind, targetNamed, type NotifyDeps, type RunbookEventPayload } from './targets';
import { createWebhookSender } from './webhook';

export function createRedisActivities(deps: NotifyDeps) {
  const webhook = createWebhookSender(deps);

  async function publish(name: string, payload: RunbookEventPayload, ctx: StepContext): Promise<boolean> {
    const t = targetNamed(deps.targets, name);
    if (t.kind === 'webhook' && t.inboxFor === 'redis') {
      await webhook.postJson(name, t, { event_type: 'runbook_event', payload }, ctx);
      return true;
    }
    if (t.kind !== 'redis')
      return notThatKind(
        name,
        t.kind === 'webhook' ? (t.inboxFor ?? 'webhook') : t.kind,
        'notify:redis:publish',
        'redis',
      );
    if (!deps.publishEvent)
      throw permanent(
        `notify target '${name}' is of kind redis, but operational events are off in this worker ` +
          '(set OPERATIONAL_EVENT_STREAM_ENABLED=true and REDIS_URL; docs/events.md)',
        FAILURE.TargetKindUnsupported,
      );
    deps.publishEvent(payload);
    return true;
  }

  const about = (ctx: StepContext) => ({ workflowId: ctx.workflowId, runbook: ctx.runbookId, step: ctx.stepId });

  async function notifyRedisPublish(
    input: NotifyRedisPublishInput,
    ctx: StepContext,
  ): Promise<NotifyRedisPublishResult> {
    const payload: RunbookEventPayload = {
      ...about(ctx),
      name: input.name,
      ...(input.text !== undefined ? { text: input.text } : {}),
      ...(input.severity !== undefined ? { severity: input.severity } : {}),
      ...(input.data ? { data: input.data } : {}),
    };
    return { target: input.target, eventType: 'runbook_event', queued: await publish(input.target, payload, ctx) };
  }

  /** `notify:webhook:post` to a redis target: a `notification` event with the message. */
  async function notifyAsRedis(input: NotifyWebhookInput, ctx: StepContext): Promise<NotifyWebhookResult> {
    const data = { ...(input.title ? { title: input.title } : {}), ...(input.fields ? { fields: input.fields } : {}) };
    await publish(
      input.target,
      {
        ...about(ctx),
        name: 'notification',
        text: input.message,
        ...(input.severity ? { severity: input.severity } : {}),
        ...(Object.keys(data).length ? { data } : {}),
      },
      ctx,
    );
    return { target: input.target, status: 202, delivered: true };
  }

  return { notifyRedisPublish, notifyAsRedis };
}
