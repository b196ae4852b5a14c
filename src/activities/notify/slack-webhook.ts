/**
 * Slack incoming webhooks (`kind: slack-webhook`): post only, `{text, blocks}` to the hook's URL.
 * The URL is the credential (anyone holding it posts to the channel), so it is a named secret,
 * resolved here, posted to with no redirect off its origin, and never written into a failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { StepContext } from '../../shared/activity-types';
import type { NotifyWebhookInput } from '../../catalog/notify';
import type { SlackWebhookTarget } from '../../config/load';
import { permanent } from '../errors';
import { readCapped, safeFetch } from '../safe-fetch';
import { answerFailure } from './retry-after';
import type { NotifyDeps } from './targets';
import { mrkdwnEscape } from '../../shared/slack-blocks';

/** Slack answers `ok` or a short error code; more than this is not read. */
const MAX_ANSWER_BYTES = 4 * 1024;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

// Block Kit limits (docs: channels notes 1.4): section text, a field, fields per section, blocks.
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_PER_SECTION = 10;
const MAX_BLOCKS = 50;
/** Sections of fields at most: the message's text keeps the rest of the blocks. */
const MAX_FIELD_SECTIONS = 5;

export interface SlackWebhookMessage {
  /** The notification's fallback (and what screen readers say). */
  text: string;
  blocks?: unknown[];
}

/** At most `max` characters, never cutting an escape (`&amp;`) in two. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const amp = text.lastIndexOf('&', end);
  if (amp >= 0 && end - amp < 5 && !text.slice(amp, end).includes(';')) end = amp;
  return `${text.slice(0, end)}…`;
}

/** Escaped text in pieces of at most `max`, none cutting an escape. */
function pieces(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let end = max;
    const amp = rest.lastIndexOf('&', end - 1);
    if (amp >= 0 && end - amp < 5 && !rest.slice(amp, end).includes(';')) end = amp;
    out.push(rest.slice(0, end));
    rest = rest.slice(end);
  }
  return [...out, rest];
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });

/**
 * `notify:webhook:post` as a Slack message: the title in bold over the message, the fields two
 * columns wide, and a context line linking the run. Within Block Kit's limits: longer text
 * goes on in further sections, and what does not fit in 50 blocks is cut.
 */
export function slackWebhookMessage(
  input: NotifyWebhookInput,
  ctx: StepContext,
  runUrl: (workflowId: string) => string,
): SlackWebhookMessage {
  const title = input.title ? `*${mrkdwnEscape(input.title)}*\n` : '';
  const fields = Object.entries(input.fields ?? {}).map(([k, v]) =>
    mrkdwn(cut(`*${mrkdwnEscape(k)}*\n${mrkdwnEscape(typeof v === 'string' ? v : JSON.stringify(v))}`, FIELD_MAX)),
  );
  const fieldSections: unknown[] = [];
  for (let i = 0; i < fields.length && fieldSections.length < MAX_FIELD_SECTIONS; i += FIELDS_PER_SECTION)
    fieldSections.push({ type: 'section', fields: fields.slice(i, i + FIELDS_PER_SECTION) });
  const room = MAX_BLOCKS - fieldSections.length - 1;
  const textSections = pieces(`${title}${mrkdwnEscape(input.message)}`, SECTION_MAX);
  const kept = textSections.slice(0, room);
  if (textSections.length > room) kept[room - 1] = cut(`${kept[room - 1]}…`, SECTION_MAX);
  const url = mrkdwnEscape(runUrl(ctx.workflowId)).replace(/\|/g, '%7C');
  const about = [
    ...(input.severity ? [`*${mrkdwnEscape(input.severity)}*`] : []),
    mrkdwnEscape(ctx.runbookId),
    `<${url}|Run ${mrkdwnEscape(ctx.workflowId)}>`,
  ].join(' · ');
  return {
    text: cut(mrkdwnEscape(input.title ? `${input.title}: ${input.message}` : input.message), SECTION_MAX),
    blocks: [
      ...kept.map((t) => ({ type: 'section', text: mrkdwn(t) })),
      ...fieldSections,
      { type: 'context', elements: [mrkdwn(cut(about, SECTION_MAX))] },
    ],
  };
}

/** Text without the hook's URL, or its path (the secret part: Slack's host is no secret). */
function scrub(text: string, url: string): string {
  const u = new URL(url);
  return [url, `${u.pathname}${u.search}`]
    .filter((s) => s.length > 1)
    .reduce((t, s) => t.split(s).join('[webhook url]'), text);
}

/** A failure as thrown, with the hook's URL taken out of the message. */
function withoutUrl(err: unknown, url: string): unknown {
  const msg = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : undefined;
  if (msg === undefined) return err;
  const scrubbed = scrub(msg, url);
  if (scrubbed === msg) return err;
  if (err instanceof ApplicationFailure)
    return ApplicationFailure.create({
      message: scrubbed,
      type: err.type ?? 'Error',
      nonRetryable: err.nonRetryable === true,
      ...(err.nextRetryDelay ? { nextRetryDelay: err.nextRetryDelay } : {}),
    });
  return new Error(scrubbed);
}

export function createSlackWebhookSender(deps: Omit<NotifyDeps, 'targets'>) {
  /** Posts one message to the hook; Slack answers 200 `ok`. */
  async function send(
    name: string,
    target: SlackWebhookTarget,
    message: SlackWebhookMessage,
  ): Promise<{ status: number }> {
    // The URL is the secret itself: nothing to bind it to but itself (safeFetch keeps it on its origin).
    const url = (await deps.secrets.resolve(target.urlSecret)).trim();
    const u = URL.canParse(url) ? new URL(url) : undefined;
    if (!u || !(u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.test(u.hostname))))
      throw permanent(
        `slack-webhook target '${name}': secret '${target.urlSecret}' is not an https URL (http only to this machine)`,
        FAILURE.InvalidInput,
      );
    let res: Response;
    let answer: string;
    try {
      res = await safeFetch(deps, {
        url,
        init: {
          method: 'POST',
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }),
          signal: AbortSignal.timeout(10_000),
        },
        carriesSecrets: true,
      });
      answer = (await readCapped(res, MAX_ANSWER_BYTES)).text.trim();
    } catch (err) {
      throw withoutUrl(err, url);
    }
    if (res.ok) return { status: res.status };
    // Slack's answer is a code (`invalid_payload`, `channel_not_found`); anything else is cut short.
    const said = /^[a-z0-9_]{1,100}$/.test(answer) ? answer : scrub(answer, url).slice(0, 200);
    const what = `slack webhook '${name}' answered ${res.status}${said ? `: ${said}` : ''}`;
    throw answerFailure(what, res, () => '');
  }
  return { send };
}
