/**
 * Jira Cloud over REST v3: open, comment, close (by the target's transition, found by name).
 * `Authorization: Basic base64(email:token)`, both named secrets bound to the site. Jira has no
 * idempotency key, so the state is read first: an issue carries a `dr-<hash>` label of its key,
 * searched for before another is opened, and an issue already done is not transitioned again.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { TicketTarget } from '../../config/tickets-schema';
import { permanent } from '../errors';
import { readCapped, safeFetch } from '../safe-fetch';
import { answerFailure } from '../notify/retry-after';
import type { TicketClientDeps } from './github';
import { parsed, record } from '../json-read';

export type JiraTicketTarget = Extract<TicketTarget, { kind: 'jira' }>;

/** Jira's answers read here (an issue's key and status, a list of transitions) are small. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** The label a key becomes on Jira (labels take no spaces, 255 characters at most). */
export function jiraKeyLabel(key: string): string {
  return `dr-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** An Atlassian Document Format node, as far as this file writes them. */
export interface AdfNode {
  type: string;
  text?: string;
  version?: 1;
  content?: AdfNode[];
}

/**
 * Text as ADF, kept simple: each block separated by a blank line is a paragraph, its lines
 * joined by hard breaks, all plain text (Markdown marks are sent as they are written).
 */
export function adfOf(text: string): AdfNode {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((b) => b.replace(/^\n+|\n+$/g, ''))
    .filter((b) => b.trim() !== '');
  const paragraph = (block: string): AdfNode => ({
    type: 'paragraph',
    content: block
      .split('\n')
      .flatMap((line, i): AdfNode[] => [
        ...(i > 0 ? [{ type: 'hardBreak' }] : []),
        ...(line ? [{ type: 'text', text: line }] : []),
      ]),
  });
  return {
    version: 1,
    type: 'doc',
    content: blocks.length ? blocks.map(paragraph) : [{ type: 'paragraph', content: [] }],
  };
}

/** Jira's own words for a refusal: `errorMessages` and each field of `errors`. */
function refusalOf(text: string): string {
  try {
    const b = JSON.parse(text) as { errorMessages?: unknown; errors?: unknown; message?: unknown };
    const messages = Array.isArray(b.errorMessages)
      ? b.errorMessages.filter((e): e is string => typeof e === 'string')
      : [];
    const fields = Object.entries(record(b.errors) ?? {}).flatMap(([f, m]) =>
      typeof m === 'string' ? [`${f}: ${m}`] : [],
    );
    const parts = [...messages, ...fields, ...(typeof b.message === 'string' ? [b.message] : [])];
    if (parts.length) return parts.join('; ').slice(0, 1000);
  } catch {
    // not JSON: the text itself, below
  }
  return text.slice(0, 300) || 'no message';
}

/** An issue key as Jira names it, or a permanent failure. */
function issueKey(name: string, id: string): string {
  if (!/^[A-Z][A-Z0-9_]+-[1-9]\d{0,15}$/.test(id))
    throw permanent(`jira target '${name}': '${id}' is not an issue key (such as OPS-7)`, FAILURE.InvalidInput);
  return id;
}

export function createJiraTickets(deps: TicketClientDeps) {
  /** One request to the site's API; a 2xx answers its text, anything else throws a failure of the vocabulary. */
  async function call(
    name: string,
    target: JiraTicketTarget,
    what: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; truncated: boolean }> {
    const url = `${target.baseUrl}/rest/api/3${path}`;
    // Both checked against secrets.<name>.sendTo before any request: they go to the site only.
    const email = await deps.secrets.resolveFor(target.emailSecret, url);
    const token = await deps.secrets.resolveFor(target.tokenSecret, url);
    const res = await safeFetch(deps, {
      url,
      init: {
        method,
        headers: {
          Authorization: `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`,
          Accept: 'application/json',
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      },
      carriesSecrets: true,
    });
    const read = await readCapped(res, MAX_ANSWER_BYTES);
    if (res.ok) return { status: res.status, ...read };
    const message = `jira '${name}' answered ${res.status} to ${what}`;
    throw answerFailure(message, res, () => refusalOf(read.text));
  }

  const browse = (target: JiraTicketTarget, key: string): string => `${target.baseUrl}/browse/${key}`;

  /** The issue labelled with the key's label, by the enhanced JQL search. */
  async function findByLabel(name: string, target: JiraTicketTarget, label: string): Promise<string | undefined> {
    // Both values are ours (a project key by its pattern, a dr-<hex> label): nothing to escape.
    const jql = `project = "${target.project}" AND labels = "${label}" ORDER BY created DESC`;
    const got = await call(name, target, 'the issue search', 'POST', '/search/jql', {
      jql,
      fields: ['key'],
      maxResults: 1,
    });
    const issues = record(parsed(got.text))?.issues;
    // Not knowing what is there, opening an issue could open a second one.
    if (!Array.isArray(issues))
      throw ApplicationFailure.retryable(
        `jira '${name}' answered the issue search without a list of issues: cannot tell whether the issue exists, so none was opened`,
        FAILURE.HttpUnexpectedStatus,
      );
    const key = record(issues[0])?.key;
    return typeof key === 'string' ? key : undefined;
  }

  async function create(
    name: string,
    target: JiraTicketTarget,
    input: { title: string; body: string; labels?: string[] },
    key: string,
  ): Promise<{ id: string; url: string; created: boolean }> {
    const label = jiraKeyLabel(key);
    const found = await findByLabel(name, target, label);
    if (found) return { id: found, url: browse(target, found), created: false };
    const got = await call(name, target, 'the new issue', 'POST', '/issue', {
      fields: {
        project: { key: target.project },
        issuetype: { name: target.issueType },
        summary: input.title,
        description: adfOf(input.body),
        labels: [...new Set([...(input.labels ?? []), label])],
      },
    });
    const created = record(parsed(got.text))?.key;
    if (typeof created !== 'string')
      // Opened, perhaps: the retry finds it by its label.
      throw ApplicationFailure.retryable(
        `jira '${name}' answered the new issue without its key`,
        FAILURE.HttpUnexpectedStatus,
      );
    return { id: created, url: browse(target, created), created: true };
  }

  async function comment(name: string, target: JiraTicketTarget, id: string, body: string): Promise<string> {
    const key = issueKey(name, id);
    const got = await call(name, target, `a comment on ${key}`, 'POST', `/issue/${key}/comment`, {
      body: adfOf(body),
    });
    const c = record(parsed(got.text))?.id;
    if (typeof c !== 'string' && typeof c !== 'number')
      throw ApplicationFailure.retryable(
        `jira '${name}' answered the comment on ${key} without its id`,
        FAILURE.HttpUnexpectedStatus,
      );
    return String(c);
  }

  /**
   * Moves the issue by the target's done transition unless its status is already of the done
   * category (a workflow may offer "Done" from Done itself); answers whether it changed.
   */
  async function close(name: string, target: JiraTicketTarget, id: string): Promise<boolean> {
    const key = issueKey(name, id);
    const issue = await call(name, target, `issue ${key}`, 'GET', `/issue/${key}?fields=status`);
    const status = record(record(record(parsed(issue.text))?.fields)?.status);
    const category = record(status?.statusCategory)?.key;
    if (category === 'done') return false;
    const got = await call(name, target, `the transitions of ${key}`, 'GET', `/issue/${key}/transitions`);
    const transitions = record(parsed(got.text))?.transitions;
    const offered = (Array.isArray(transitions) ? transitions : []).flatMap((t) => {
      const r = record(t);
      return typeof r?.name === 'string' && (typeof r.id === 'string' || typeof r.id === 'number')
        ? [{ id: String(r.id), name: r.name }]
        : [];
    });
    const wanted = target.doneTransition.trim().toLowerCase();
    const done = offered.find((t) => t.name.trim().toLowerCase() === wanted);
    if (!done)
      throw permanent(
        `jira '${name}': ${key}${typeof status?.name === 'string' ? ` (${status.name})` : ''} offers no transition '${target.doneTransition}' (offered: ${offered.map((t) => t.name).join(', ') || 'none'}); set doneTransition on the target`,
        FAILURE.InvalidInput,
      );
    await call(name, target, `closing ${key}`, 'POST', `/issue/${key}/transitions`, { transition: { id: done.id } });
    return true;
  }

  return { create, comment, close };
}
