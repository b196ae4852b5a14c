/**
 * The notify actions over every target kind. `notify:webhook:post` (what `notify:` steps and the
 * run's own notices call) sends to a target whatever its kind, chosen here from configuration,
 * so workflows need no change as kinds arrive; channel actions (`notify:pagerduty:event`) do
 * what only their kind can.
 */
import type { NotifyPagerDutyEventInput, NotifyPagerDutyEventResult } from '../../catalog/pagerduty';
import type { NotifyWebhookInput, NotifyWebhookResult } from '../../catalog/notify';
import type { StepContext } from '../../shared/activity-types';
import { createPagerDutySender, pagerDutyEvent, pagerDutySeverity } from './pagerduty';
import { STATUSPAGE_STATUSES } from '../../catalog/statuspage';
import { notThatKind, targetNamed, toldSent, type NotifyDeps } from './targets';
import { createWebhookSender } from './webhook';
import { noticeText } from './templates';
import { createSlackActivities } from './slack-actions';
import { createRedisActivities } from './redis';
import { createSlackWebhookSender, slackWebhookMessage } from './slack-webhook';
import { createStatuspageActivities } from './statuspage';
import { createEmailActivities, createEmailSender } from './email';

/** PagerDuty's limit on `payload.summary`. */
const MAX_SUMMARY = 1024;

export type { NotificationSent, NotifyChannel, NotifyDeps, RunbookEventPayload } from './targets';

export function createNotifyActivities(deps: NotifyDeps) {
  const webhook = createWebhookSender(deps);
  const pagerduty = createPagerDutySender(deps);
  const slack = createSlackActivities(deps);
  const redis = createRedisActivities(deps);
  const slackWebhook = createSlackWebhookSender(deps);
  const statuspage = createStatuspageActivities(deps);
  const email = createEmailActivities(deps);
  const emailSender = createEmailSender(deps);

  async function notifyWebhook(given: NotifyWebhookInput, ctx: StepContext): Promise<NotifyWebhookResult> {
    const target = targetNamed(deps.targets, given.target);
    // The run's own notices take their text from the configured template of their event.
    const { title, text } = noticeText(
      deps.templates,
      given.event,
      { ...(given.title ? { title: given.title } : {}), text: given.message },
      deps.runUrl(ctx.workflowId),
    );
    const { event: _event, ...rest } = given;
    const input: NotifyWebhookInput = { ...rest, message: text, ...(title ? { title } : {}) };
    const reason = input.title ?? input.message;
    switch (target.kind) {
      case 'webhook': {
        const sent = await webhook.notifyWebhook(input.target, target, input, ctx);
        // A dev-inbox stand-in reached nobody's channel.
        if (!target.devInbox) toldSent(deps, 'webhook', input.target, reason, ctx.workflowId);
        return sent;
      }
      case 'pagerduty': {
        // A message about the run opens (or adds to) the run's alert: one run, one page.
        const summary = input.title ? `${input.title}: ${input.message}` : input.message;
        const event = pagerDutyEvent(
          deps,
          {
            target: input.target,
            action: 'trigger',
            summary: summary.slice(0, MAX_SUMMARY),
            severity: pagerDutySeverity(input.severity),
            ...(input.fields ? { customDetails: input.fields } : {}),
          },
          target.source,
          ctx,
        );
        const sent = await pagerduty.send(input.target, target, event);
        toldSent(deps, 'pagerduty', input.target, reason, ctx.workflowId);
        return { target: input.target, status: sent.status, delivered: true };
      }
      case 'slack':
        return slack.notifyAsSlack(input.target, target, input, ctx);
      case 'slack-webhook': {
        const sent = await slackWebhook.send(input.target, target, slackWebhookMessage(input, ctx, deps.runUrl));
        toldSent(deps, 'slack-webhook', input.target, reason, ctx.workflowId);
        return { target: input.target, status: sent.status, delivered: true };
      }
      case 'redis':
        return redis.notifyAsRedis(input, ctx);
      case 'email': {
        // The title is the subject; without one, the message's first line (cut to a subject's length).
        const subject = (input.title ?? input.message.split('\n')[0] ?? input.message).slice(0, 200);
        const text = [input.message, '', `Run: ${deps.runUrl(ctx.workflowId)}`].join('\n');
        await emailSender.send(input.target, target, { subject, text }, ctx);
        toldSent(deps, 'email', input.target, reason, ctx.workflowId);
        return { target: input.target, status: 250, delivered: true };
      }
      case 'statuspage': {
        // A message about the run is an update of the run's incident (opened by the first one).
        const asked = input.fields?.status;
        const status = STATUSPAGE_STATUSES.find((x) => x === asked) ?? 'investigating';
        await statuspage.notifyStatuspageIncident(
          {
            target: input.target,
            name: (input.title ?? input.message).slice(0, 255),
            status,
            body: input.message.slice(0, 25_000),
            deliverNotifications: true,
          },
          ctx,
        );
        return { target: input.target, status: 200, delivered: true };
      }
    }
  }

  async function notifyPagerDutyEvent(
    input: NotifyPagerDutyEventInput,
    ctx: StepContext,
  ): Promise<NotifyPagerDutyEventResult> {
    const target = targetNamed(deps.targets, input.target);
    const done = (status: number, dedupKey: string): NotifyPagerDutyEventResult => ({
      target: input.target,
      action: input.action,
      dedupKey,
      status,
      delivered: true,
    });
    if (target.kind === 'pagerduty') {
      const sent = await pagerduty.send(input.target, target, pagerDutyEvent(deps, input, target.source, ctx));
      toldSent(deps, 'pagerduty', input.target, input.summary ?? `${input.action} ${sent.dedupKey}`, ctx.workflowId);
      return done(sent.status, sent.dedupKey);
    }
    // Development: the event as it would be sent (no routing key) lands in the dev inbox.
    if (target.kind === 'webhook' && target.inboxFor === 'pagerduty') {
      const event = pagerDutyEvent(deps, input, undefined, ctx);
      return done(await webhook.postJson(input.target, target, event, ctx), event.dedup_key);
    }
    const kind = target.kind === 'webhook' ? (target.inboxFor ?? 'webhook') : target.kind;
    return notThatKind(input.target, kind, 'notify:pagerduty:event', 'pagerduty');
  }

  return {
    notifyWebhook,
    notifyPagerDutyEvent,
    notifySlackPost: slack.notifySlackPost,
    notifySlackUpdate: slack.notifySlackUpdate,
    notifyRedisPublish: redis.notifyRedisPublish,
    notifyStatuspageIncident: statuspage.notifyStatuspageIncident,
    notifyEmailSend: email.notifyEmailSend,
  };
}
