/**
 * Inbound tracker webhooks that close action items: the signature checks and the few fields
 * read, as pure functions (the routes are elsewhere). Both senders sign the raw body with
 * HMAC-SHA256 and a shared secret: GitHub in `X-Hub-Signature-256: sha256=<hex>`, Jira admin
 * webhooks in `X-Hub-Signature: sha256=<hex>` (not `-256`). Bodies are hostile until checked:
 * the parsers bound what they read and answer undefined for anything not of the expected shape.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Larger bodies are not parsed (an issue body is at most 65,536 characters, escaped up to 6 bytes each). */
export const MAX_TICKET_EVENT_BYTES = 2 * 1024 * 1024;

/** `sha256=<hex>` of the raw body. */
export function hubSignature(secret: Buffer | string, raw: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

function verifyHub(secret: Buffer, header: string | undefined, raw: string | Buffer): boolean {
  // An empty secret signs nothing: anyone could compute its signatures.
  if (typeof header !== 'string' || secret.length === 0) return false;
  const want = Buffer.from(hubSignature(secret, raw));
  const got = Buffer.from(header.trim().toLowerCase());
  // timingSafeEqual throws on unequal lengths: a length mismatch is simply wrong.
  return got.length === want.length && timingSafeEqual(got, want);
}

/** GitHub's `X-Hub-Signature-256` over the raw body (the legacy sha1 `X-Hub-Signature` is not accepted). */
export function verifyGithubSignature(secret: Buffer, header: string | undefined, raw: string | Buffer): boolean {
  return verifyHub(secret, header, raw);
}

/** A Jira admin webhook's `X-Hub-Signature` (sha256) over the raw body. */
export function verifyJiraSignature(secret: Buffer, header: string | undefined, raw: string | Buffer): boolean {
  return verifyHub(secret, header, raw);
}

/** What a GitHub `issues` event tells: which issue, and its state now. */
export interface GithubIssueEvent {
  /** `opened`, `closed`, `reopened`, `edited`, ... */
  action: string;
  number: number;
  state: 'open' | 'closed';
  /** `completed`, `not_planned`, ... (absent when GitHub sends null). */
  stateReason?: string;
  /** `owner/name`. */
  repo: string;
  /** The issue's body (where its key's marker is), when it has one. */
  body?: string;
}

/** What a Jira issue event tells: which issue, and the category of its status now. */
export interface JiraIssueEvent {
  /** `jira:issue_created`, `jira:issue_updated`, `jira:issue_deleted`, ... */
  webhookEvent: string;
  key: string;
  /** `new`, `indeterminate` or `done`. */
  statusCategory?: string;
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

function json(raw: string): Record<string, unknown> | undefined {
  if (typeof raw !== 'string' || Buffer.byteLength(raw) > MAX_TICKET_EVENT_BYTES) return undefined;
  try {
    return record(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** A short word (an action, an event name, a reason), else undefined. */
const word = (v: unknown, max = 100): string | undefined =>
  typeof v === 'string' && v.length > 0 && v.length <= max && /^[\w:.-]+$/.test(v) ? v : undefined;

/** A GitHub `issues` event (parse only after the signature verified), or undefined. */
export function parseGithubIssueEvent(raw: string): GithubIssueEvent | undefined {
  const b = json(raw);
  const issue = record(b?.issue);
  const action = word(b?.action);
  const number = issue?.number;
  const state = issue?.state;
  const repo = record(b?.repository)?.full_name;
  if (!issue || !action || typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) return undefined;
  if (state !== 'open' && state !== 'closed') return undefined;
  if (
    typeof repo !== 'string' ||
    repo.length > 200 ||
    !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo) ||
    repo.split('/').some((part) => /^\.+$/.test(part))
  )
    return undefined;
  const stateReason = word(issue.state_reason);
  const body = typeof issue.body === 'string' ? issue.body.slice(0, 65_536) : undefined;
  return {
    action,
    number,
    state,
    ...(stateReason ? { stateReason } : {}),
    repo,
    ...(body !== undefined ? { body } : {}),
  };
}

/** A Jira issue event (parse only after the signature verified), or undefined. */
export function parseJiraIssueEvent(raw: string): JiraIssueEvent | undefined {
  const b = json(raw);
  const issue = record(b?.issue);
  const webhookEvent = word(b?.webhookEvent);
  const key = issue?.key;
  if (!webhookEvent || typeof key !== 'string' || key.length > 64 || !/^[A-Z][A-Z0-9_]+-[1-9]\d*$/.test(key))
    return undefined;
  const statusCategory = word(record(record(record(issue?.fields)?.status)?.statusCategory)?.key);
  return { webhookEvent, key, ...(statusCategory ? { statusCategory } : {}) };
}
