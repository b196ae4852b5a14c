/**
 * GitHub Issues over REST: open, comment, close. `Authorization: Bearer <token>`, the token a
 * named secret bound to the target's API host. GitHub has no idempotency key, so the state is
 * read first: an issue carries its key in a marker comment of its body, found before another is
 * opened, and an issue already closed is not closed again.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { TicketTarget } from '../../config/tickets-schema';
import { permanent } from '../errors';
import { readCapped, safeFetch, type SafeFetchDeps } from '../safe-fetch';
import type { SecretResolver } from '../secrets';
import { answerFailure, MAX_RETRY_AFTER_MS, retryLater } from '../notify/retry-after';
import { parsed, record } from '../json-read';
import { attempt } from '../attempt';

export type GithubTicketTarget = Extract<TicketTarget, { kind: 'github' }>;

/** What the ticket clients need: fetch under the egress policy, and secrets bound to their hosts. */
export interface TicketClientDeps extends SafeFetchDeps {
  secrets: SecretResolver;
}

/** One issue or comment answer. */
const MAX_ANSWER_BYTES = 256 * 1024;
/**
 * A page of 50 issues with their bodies (65,536 characters at most each). A longer page cannot
 * be read, and then no issue is opened: the one a retry looks for might be on it.
 */
const MAX_LIST_BYTES = 8 * 1024 * 1024;
/** How many of the most recent issues with the first label are searched for the marker. */
const SEARCH_PAGE = 50;
/** GitHub's advice for a secondary rate limit without Retry-After: at least a minute. */
const SECONDARY_LIMIT_WAIT_MS = 60_000;

const API_VERSION = '2022-11-28';

/** The marker an issue's body carries: its key as it is if plain, else the key's SHA-256. */
export function githubMarker(key: string): string {
  const plain = /^[A-Za-z0-9._:/@+-]{1,200}$/.test(key);
  return `<!-- durable-runbooks:key=${plain ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`} -->`;
}

/** GitHub's own words for a refusal: `message` and each of `errors` (a string, or `{resource, field, code, message}`). */
function refusalOf(text: string): string {
  try {
    const b = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = (Array.isArray(b.errors) ? b.errors : []).flatMap((e: unknown): string[] => {
      if (typeof e === 'string') return [e];
      const r = record(e);
      if (!r) return [];
      if (typeof r.message === 'string') return [r.message];
      const what = [r.resource, r.field].filter((x): x is string => typeof x === 'string').join('.');
      return typeof r.code === 'string' ? [`${what ? `${what} ` : ''}${r.code}`] : [];
    });
    const parts = [typeof b.message === 'string' ? b.message : undefined, ...errors].filter(Boolean);
    if (parts.length) return parts.join('; ').slice(0, 1000);
  } catch {
    // not JSON: the text itself, below
  }
  return text.slice(0, 300) || 'no message';
}

/**
 * GitHub's rate limits: the primary one (`x-ratelimit-remaining: 0`, 403 or 429) waits until
 * `x-ratelimit-reset`; a secondary one honours Retry-After, else waits a minute.
 */
function rateLimited(message: string, res: Response, text: string, now = Date.now()): ApplicationFailure | undefined {
  if (res.status !== 403 && res.status !== 429) return undefined;
  const reset = Number(res.headers.get('x-ratelimit-reset'));
  if (res.headers.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) {
    const delay = Math.min(Math.max(reset * 1000 - now, 1000), MAX_RETRY_AFTER_MS);
    return ApplicationFailure.create({
      message: `${message}: rate limit reached (retry after ${Math.round(delay / 1000)} s)`,
      type: FAILURE.HttpUnexpectedStatus,
      nonRetryable: false,
      nextRetryDelay: delay,
    });
  }
  if (res.headers.get('retry-after') || res.status === 429) return retryLater(message, res.status, res.headers);
  if (/rate limit/i.test(refusalOf(text)))
    return ApplicationFailure.create({
      message: `${message}: ${refusalOf(text)} (retry after ${SECONDARY_LIMIT_WAIT_MS / 1000} s)`,
      type: FAILURE.HttpUnexpectedStatus,
      nonRetryable: false,
      nextRetryDelay: SECONDARY_LIMIT_WAIT_MS,
    });
  return undefined;
}

/** An issue number as the tracker names it, or a permanent failure. */
function issueNumber(name: string, id: string): string {
  if (!/^[1-9]\d{0,15}$/.test(id))
    throw permanent(`github target '${name}': '${id}' is not an issue number`, FAILURE.InvalidInput);
  return id;
}

export function createGithubTickets(deps: TicketClientDeps) {
  /** One request to the API; a 2xx answers its text, anything else throws a failure of the vocabulary. */
  async function call(
    name: string,
    target: GithubTicketTarget,
    what: string,
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    maxBytes = MAX_ANSWER_BYTES,
  ): Promise<{ status: number; text: string; truncated: boolean }> {
    const [owner, repo] = target.repo.split('/') as [string, string];
    const url = `${target.baseUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues${path}`;
    // Checked against secrets.<name>.sendTo before any request: the token goes to its host only.
    const token = await deps.secrets.resolveFor(target.tokenSecret, url);
    const res = await safeFetch(deps, {
      url,
      init: {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': API_VERSION,
          'User-Agent': 'durable-runbooks',
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      },
      carriesSecrets: true,
    });
    const read = await readCapped(res, maxBytes);
    if (res.ok) return { status: res.status, ...read };
    const message = `github '${name}' answered ${res.status} to ${what}`;
    const limited = rateLimited(message, res, read.text);
    if (limited) throw limited;
    // 404 (no such repository or issue, or a token that may not see it), 410 (issues disabled),
    // 422 (validation): asking again gets the same answer.
    throw answerFailure(message, res, () => refusalOf(read.text));
  }

  /** The issue carrying the key's marker among the most recent ones with the first label. */
  async function findByMarker(
    name: string,
    target: GithubTicketTarget,
    labels: string[],
    marker: string,
  ): Promise<{ number: number; url: string } | undefined> {
    const query = new URLSearchParams({
      state: 'all',
      ...(labels[0] ? { labels: labels[0] } : {}),
      per_page: String(SEARCH_PAGE),
      sort: 'created',
      direction: 'desc',
    });
    const got = await call(name, target, 'the issue search', 'GET', `?${query}`, undefined, MAX_LIST_BYTES);
    const list = got.truncated ? undefined : parsed(got.text);
    // Not knowing what is there, opening an issue could open a second one.
    if (!Array.isArray(list))
      throw ApplicationFailure.retryable(
        `github '${name}' answered the issue search with ${got.truncated ? `more than ${MAX_LIST_BYTES / 1024 / 1024} MiB` : 'something not a list'}: cannot tell whether the issue exists, so none was opened`,
        FAILURE.HttpUnexpectedStatus,
      );
    for (const item of list) {
      const i = record(item);
      // The issues list has pull requests too; they are never ours.
      if (!i || i.pull_request !== undefined || typeof i.body !== 'string' || !i.body.includes(marker)) continue;
      if (typeof i.number === 'number' && typeof i.html_url === 'string') return { number: i.number, url: i.html_url };
    }
    return undefined;
  }

  async function create(
    name: string,
    target: GithubTicketTarget,
    input: { title: string; body: string; labels?: string[] },
    key: string,
  ): Promise<{ id: string; url: string; created: boolean }> {
    const labels = [...new Set([...target.labels, ...(input.labels ?? [])])];
    const marker = githubMarker(key);
    const found = await findByMarker(name, target, labels, marker);
    if (found) return { id: String(found.number), url: found.url, created: false };
    const got = await call(name, target, 'the new issue', 'POST', '', {
      title: input.title,
      body: input.body ? `${input.body}\n\n${marker}` : marker,
      labels,
    });
    const issue = record(parsed(got.text));
    if (typeof issue?.number !== 'number' || typeof issue.html_url !== 'string')
      // Opened, perhaps: the retry finds it by its marker.
      throw ApplicationFailure.retryable(
        `github '${name}' answered the new issue without its number`,
        FAILURE.HttpUnexpectedStatus,
      );
    return { id: String(issue.number), url: issue.html_url, created: true };
  }

  /**
   * Comments once: the body carries the step's marker, and a retry first looks for it among the
   * issue's comments (an earlier try's answer may have been lost after GitHub took it).
   */
  async function comment(
    name: string,
    target: GithubTicketTarget,
    id: string,
    body: string,
    key: string,
  ): Promise<string> {
    const n = issueNumber(name, id);
    const marker = githubMarker(key);
    if (attempt() > 1) {
      const list = await call(
        name,
        target,
        `the comments on #${n}`,
        'GET',
        `/${n}/comments?per_page=100`,
        undefined,
        MAX_LIST_BYTES,
      );
      const found = (Array.isArray(parsed(list.text)) ? (parsed(list.text) as unknown[]) : [])
        .map(record)
        .find((c) => typeof c?.body === 'string' && c.body.includes(marker));
      if (found && (typeof found.id === 'number' || typeof found.id === 'string')) return String(found.id);
    }
    const got = await call(name, target, `a comment on #${n}`, 'POST', `/${n}/comments`, {
      body: `${body}\n\n${marker}`,
    });
    const c = record(parsed(got.text));
    if (typeof c?.id !== 'number' && typeof c?.id !== 'string')
      throw ApplicationFailure.retryable(
        `github '${name}' answered the comment on #${n} without its id`,
        FAILURE.HttpUnexpectedStatus,
      );
    return String(c.id);
  }

  /** Closes the issue unless it is closed already; answers whether it changed. */
  async function close(
    name: string,
    target: GithubTicketTarget,
    id: string,
    reason: 'completed' | 'not_planned',
  ): Promise<boolean> {
    const n = issueNumber(name, id);
    const got = await call(name, target, `issue #${n}`, 'GET', `/${n}`);
    const state = record(parsed(got.text))?.state;
    if (state === 'closed') return false;
    if (state !== 'open')
      throw ApplicationFailure.retryable(
        `github '${name}' answered issue #${n} without its state`,
        FAILURE.HttpUnexpectedStatus,
      );
    await call(name, target, `closing #${n}`, 'PATCH', `/${n}`, { state: 'closed', state_reason: reason });
    return true;
  }

  return { create, comment, close };
}
