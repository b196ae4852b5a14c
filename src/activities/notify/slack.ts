/**
 * Slack's Web API with a bot token: `chat.postMessage` and `chat.update` as JSON (the token in
 * `Authorization`, never in the body), HTTP 429 and `ratelimited` retried after Retry-After, and
 * about one message a second per channel from this worker (Slack's own limit for posting).
 */
import { attempt } from '../attempt';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { SlackTarget } from '../../config/load';
import { permanent } from '../errors';
import { readCapped, safeFetch } from '../safe-fetch';
import { retryLater } from './retry-after';
import type { NotifyDeps } from './targets';

/** Slack's answers are small; a longer one is cut off (history lookups ask for few messages). */
const MAX_ANSWER_BYTES = 256 * 1024;
/** Slack: "1 message per second per channel, short bursts allowed". */
const POST_SPACING_MS = 1000;

/** Errors that a later try may not meet; every other `error` code is permanent (auth, channel, blocks). */
const TRANSIENT_CODES = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** Marks our messages, so a retried post finds the message its first try made. */
export const SLACK_EVENT_TYPE = 'durable_runbooks_message';

export interface SlackPosted {
  channel: string;
  ts: string;
}

type Answer = Record<string, unknown> & { ok?: unknown; error?: unknown };

export function createSlackClient(deps: Omit<NotifyDeps, 'targets'>) {
  // When each channel may next be posted to (this worker only: a rough share of Slack's limit).
  const nextPost = new Map<string, number>();

  async function call(
    name: string,
    target: SlackTarget,
    method: string,
    body: Record<string, unknown>,
  ): Promise<Answer> {
    const url = `${target.baseUrl}/${method}`;
    // Resolved for this URL only: the bot token goes to its bound host and nowhere else.
    const token = await deps.secrets.resolveFor(target.tokenSecret, url);
    const res = await safeFetch(deps, {
      url,
      init: {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      },
      carriesSecrets: true,
    });
    const { text } = await readCapped(res, MAX_ANSWER_BYTES);
    const where = `slack '${name}' ${method}`;
    if (res.status === 429 || res.status >= 500)
      throw retryLater(`${where} answered ${res.status}`, res.status, res.headers);
    if (res.status !== 200) throw permanent(`${where} answered ${res.status}`, FAILURE.HttpClientError);
    let answer: Answer;
    try {
      answer = JSON.parse(text) as Answer;
    } catch {
      throw ApplicationFailure.retryable(`${where} answered 200 with no JSON`, FAILURE.HttpUnexpectedStatus);
    }
    if (answer.ok === true) return answer;
    const code = typeof answer.error === 'string' ? answer.error.slice(0, 100) : 'unknown_error';
    if (TRANSIENT_CODES.has(code)) throw retryLater(`${where}: ${code}`, 429, res.headers);
    throw permanent(`${where}: ${code}`, FAILURE.HttpClientError);
  }

  async function spaced(channel: string): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, nextPost.get(channel) ?? 0);
    nextPost.set(channel, at + POST_SPACING_MS);
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }

  /**
   * Posts a message. With a key, a retry first looks for the message an earlier try posted (its
   * metadata carries the key) and answers that one: Slack has no idempotency key of its own.
   */
  async function post(
    name: string,
    target: SlackTarget,
    message: { text: string; blocks?: unknown[]; threadTs?: string; key?: string },
  ): Promise<SlackPosted & { reused: boolean }> {
    if (message.key && attempt() > 1) {
      const earlier = await findPosted(name, target, message.key, message.threadTs);
      if (earlier) return { ...earlier, reused: true };
    }
    await spaced(target.channel);
    const answer = await call(name, target, 'chat.postMessage', {
      channel: target.channel,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
      ...(message.key ? { metadata: { event_type: SLACK_EVENT_TYPE, event_payload: { key: message.key } } } : {}),
    });
    return { ...postedOf(answer, target.channel), reused: false };
  }

  async function update(
    name: string,
    target: SlackTarget,
    message: { channel?: string; ts: string; text: string; blocks?: unknown[] },
  ): Promise<SlackPosted> {
    const answer = await call(name, target, 'chat.update', {
      channel: message.channel ?? target.channel,
      ts: message.ts,
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
    });
    return postedOf(answer, message.channel ?? target.channel);
  }

  /** The message with our metadata key among the channel's (or thread's) latest; needs the history scope. */
  async function findPosted(
    name: string,
    target: SlackTarget,
    key: string,
    threadTs?: string,
  ): Promise<SlackPosted | undefined> {
    const method = threadTs ? 'conversations.replies' : 'conversations.history';
    let answer: Answer;
    try {
      answer = await call(name, target, method, {
        channel: target.channel,
        ...(threadTs ? { ts: threadTs } : {}),
        limit: 50,
        include_all_metadata: true,
      });
    } catch (err) {
      // Without channels:history the post goes ahead: once at least, rather than never.
      if (err instanceof ApplicationFailure && err.nonRetryable) return undefined;
      throw err;
    }
    const messages = Array.isArray(answer.messages) ? (answer.messages as Array<Record<string, unknown>>) : [];
    for (const m of messages) {
      const meta = m.metadata as { event_type?: unknown; event_payload?: { key?: unknown } } | undefined;
      if (meta?.event_type === SLACK_EVENT_TYPE && meta.event_payload?.key === key && typeof m.ts === 'string')
        return { channel: target.channel, ts: m.ts };
    }
    return undefined;
  }

  return { call, post, update };
}

function postedOf(answer: Answer, channel: string): SlackPosted {
  if (typeof answer.ts !== 'string')
    throw ApplicationFailure.retryable('slack answered ok without a message ts', FAILURE.HttpUnexpectedStatus);
  return { channel: typeof answer.channel === 'string' ? answer.channel : channel, ts: answer.ts };
}
