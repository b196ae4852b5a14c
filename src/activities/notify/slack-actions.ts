/**
 * The Slack actions over a target: `notify:slack:post`, `notify:slack:update`, and what
 * `notify:webhook:post` sends to a slack target. A devInbox stand-in gets the request it would
 * have made (no token), so the embedded default shows the messages without a Slack workspace.
 */
import type {
  NotifySlackPostInput,
  NotifySlackPostResult,
  NotifySlackUpdateInput,
  NotifySlackUpdateResult,
} from '../../catalog/slack';
import type { NotifyWebhookInput, NotifyWebhookResult } from '../../catalog/notify';
import type { SlackTarget, WebhookNotifyTarget } from '../../config/load';
import type { StepContext } from '../../shared/activity-types';
import { mrkdwnEscape, type SlackBlock } from '../../shared/slack-blocks';
import { createSlackClient } from './slack';
import { notThatKind, targetNamed, toldSent, type NotifyDeps } from './targets';
import { createWebhookSender } from './webhook';
import { noticeText } from './templates';

type Resolved = { kind: 'slack'; target: SlackTarget } | { kind: 'inbox'; target: WebhookNotifyTarget };

export function createSlackActivities(deps: NotifyDeps) {
  const client = createSlackClient(deps);
  const webhook = createWebhookSender(deps);

  function slackTarget(name: string, action: string): Resolved {
    const t = targetNamed(deps.targets, name);
    if (t.kind === 'slack') return { kind: 'slack', target: t };
    if (t.kind === 'webhook' && t.inboxFor === 'slack') return { kind: 'inbox', target: t };
    return notThatKind(name, t.kind === 'webhook' ? (t.inboxFor ?? 'webhook') : t.kind, action, 'slack');
  }

  const withLink = (blocks: unknown[] | undefined, link: boolean, ctx: StepContext): unknown[] | undefined => {
    if (!link || !blocks) return blocks;
    const url = deps.runUrl(ctx.workflowId);
    const linkBlock: SlackBlock = {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${url}|Open the run in Temporal>` }],
    };
    return [...blocks.slice(0, 49), linkBlock];
  };

  async function notifySlackPost(input: NotifySlackPostInput, ctx: StepContext): Promise<NotifySlackPostResult> {
    const r = slackTarget(input.target, 'notify:slack:post');
    const blocks = withLink(input.blocks, input.runLink, ctx);
    const key = input.key ?? ctx.idempotencyKey;
    const { text } = noticeText(deps.templates, input.event, { text: input.text }, deps.runUrl(ctx.workflowId));
    if (r.kind === 'inbox') {
      const body = { method: 'chat.postMessage', text, blocks, thread_ts: input.threadTs, key };
      await webhook.postJson(input.target, r.target, body, ctx);
      return { target: input.target, channel: 'dev-inbox', ts: key, reused: false, delivered: true };
    }
    const posted = await client.post(input.target, r.target, {
      text,
      ...(blocks ? { blocks } : {}),
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
      key,
    });
    if (!posted.reused) toldSent(deps, 'slack', input.target, text, ctx.workflowId);
    return { target: input.target, channel: posted.channel, ts: posted.ts, reused: posted.reused, delivered: true };
  }

  async function notifySlackUpdate(input: NotifySlackUpdateInput, ctx: StepContext): Promise<NotifySlackUpdateResult> {
    const r = slackTarget(input.target, 'notify:slack:update');
    const blocks = withLink(input.blocks, input.runLink, ctx);
    const { text } = noticeText(deps.templates, input.event, { text: input.text }, deps.runUrl(ctx.workflowId));
    if (r.kind === 'inbox') {
      const body = { method: 'chat.update', ts: input.ts, text, blocks };
      await webhook.postJson(input.target, r.target, body, ctx);
      return { target: input.target, channel: input.channel ?? 'dev-inbox', ts: input.ts, delivered: true };
    }
    const updated = await client.update(input.target, r.target, {
      ...(input.channel ? { channel: input.channel } : {}),
      ts: input.ts,
      text,
      ...(blocks ? { blocks } : {}),
    });
    return { target: input.target, channel: updated.channel, ts: updated.ts, delivered: true };
  }

  /** `notify:webhook:post` to a slack target: title, message and fields as blocks, a link to the run. */
  async function notifyAsSlack(
    name: string,
    target: SlackTarget,
    input: NotifyWebhookInput,
    ctx: StepContext,
  ): Promise<NotifyWebhookResult> {
    const message = notificationBlocks(input);
    await client.post(name, target, {
      text: message.text,
      blocks: withLink(message.blocks, true, ctx) as unknown[],
      key: ctx.idempotencyKey,
    });
    toldSent(deps, 'slack', name, input.title ?? input.message, ctx.workflowId);
    return { target: name, status: 200, delivered: true };
  }

  return { notifySlackPost, notifySlackUpdate, notifyAsSlack };
}

/** A notification as Block Kit: a headline, the text, up to ten fields. */
export function notificationBlocks(input: NotifyWebhookInput): { text: string; blocks: SlackBlock[] } {
  const head = input.title ? `*${mrkdwnEscape(input.title)}*\n` : '';
  const sev = input.severity ? ` [${input.severity}]` : '';
  const fields = Object.entries(input.fields ?? {})
    .slice(0, 10)
    .map(([k, v]) => ({
      type: 'mrkdwn',
      text: `*${mrkdwnEscape(k)}*\n${mrkdwnEscape(typeof v === 'string' ? v : JSON.stringify(v))}`.slice(0, 2000),
    }));
  return {
    text: `${input.title ? `${input.title}: ` : ''}${input.message}${sev}`.slice(0, 40_000),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${head}${mrkdwnEscape(input.message)}${sev}`.slice(0, 3000) } },
      ...(fields.length ? [{ type: 'section', fields }] : []),
    ],
  };
}
