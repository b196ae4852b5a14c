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
import { notThatKind, notYetSupported, targetNamed, toldSent, type NotifyDeps } from './targets';
import { createWebhookSender } from './webhook';
import { createSlackActivities } from './slack-actions';

/** PagerDuty's limit on `payload.summary`. */
const MAX_SUMMARY = 1024;

export type { NotificationSent, NotifyChannel, NotifyDeps } from './targets';

export function createNotifyActivities(deps: NotifyDeps) {
  const webhook = createWebhookSender(deps);
  const pagerduty = createPagerDutySender(deps);
  const slack = createSlackActivities(deps);

  async function notifyWebhook(input: NotifyWebhookInput, ctx: StepContext): Promise<NotifyWebhookResult> {
    const target = targetNamed(deps.targets, input.target);
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
      default:
        return notYetSupported(input.target, target.kind);
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
  };
}
