/**
 * The Statuspage REST v1 wire client: find an incident by its key (`metadata.runbook.key`, among
 * the unresolved ones, and the recent ones when resolving), create, update; `Authorization:
 * OAuth <key>`, the key a named secret bound to the target's host. The action is ./statuspage.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { StatuspageComponentStatus, StatuspageStatus } from '../../catalog/statuspage';
import type { StatuspageTarget } from '../../config/load';
import { readCapped, safeFetch } from '../safe-fetch';
import { answerFailure } from './retry-after';
import type { NotifyDeps } from './targets';
import { record } from '../json-read';

/** One incident's answer: its id and status are all that is read. */
const MAX_INCIDENT_BYTES = 64 * 1024;
/**
 * A list of incidents, each with its updates (up to 25,000 characters each). A longer list
 * cannot be read, and then no incident is opened: it might be there.
 */
const MAX_LIST_BYTES = 256 * 1024;
/** How many recent incidents a resolve looks through when its incident is no longer unresolved. */
const RECENT_LIMIT = 20;

/** An incident as sent (`{"incident": ...}`); the key never rides in it. */
export interface StatuspageIncidentBody {
  name?: string;
  status: StatuspageStatus;
  body?: string;
  impact_override?: 'none' | 'minor' | 'major' | 'critical';
  component_ids?: string[];
  components?: Record<string, StatuspageComponentStatus>;
  deliver_notifications: boolean;
  metadata?: { runbook: { key: string } };
}

/** What is read of an incident found on the page. */
export interface FoundIncident {
  id: string;
  status: string;
  impactOverride?: string;
  /** Component id -> status. */
  components: Record<string, string>;
  updates: Array<{ status: string; body: string }>;
}

type Method = 'GET' | 'POST' | 'PATCH';

/** Statuspage's own words for a refusal: `message`, or `error` (a string or a list). */
function refusalOf(text: string): string {
  try {
    const b = JSON.parse(text) as { message?: unknown; error?: unknown; errors?: unknown };
    const words = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
    const parts = [...words(b.message), ...words(b.error), ...words(b.errors)];
    if (parts.length) return parts.join('; ').slice(0, 1000);
  } catch {
    // not JSON: the text itself, below
  }
  return text.slice(0, 300) || 'no message';
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The key an incident carries in its metadata, if it is one of ours. */
function keyOf(incident: Record<string, unknown>): string | undefined {
  return text(record(record(incident.metadata)?.runbook)?.key);
}

function foundOf(incident: Record<string, unknown>): FoundIncident | undefined {
  const id = text(incident.id);
  const status = text(incident.status);
  if (!id || !status) return undefined;
  const components: Record<string, string> = {};
  for (const c of Array.isArray(incident.components) ? incident.components : []) {
    const [cid, cstatus] = [text(record(c)?.id), text(record(c)?.status)];
    if (cid && cstatus) components[cid] = cstatus;
  }
  const updates = (Array.isArray(incident.incident_updates) ? incident.incident_updates : []).flatMap((u) => {
    const [s, b] = [text(record(u)?.status), text(record(u)?.body)];
    return s !== undefined && b !== undefined ? [{ status: s, body: b }] : [];
  });
  const impact = text(incident.impact_override);
  return { id, status, ...(impact ? { impactOverride: impact } : {}), components, updates };
}

export function createStatuspageSender(deps: Omit<NotifyDeps, 'targets'>) {
  /** One request to the page's API; a 2xx answers its text, anything else throws a failure of the vocabulary. */
  async function call(
    name: string,
    target: StatuspageTarget,
    what: string,
    method: Method,
    path: string,
    maxBytes: number,
    incident?: StatuspageIncidentBody,
  ): Promise<{ status: number; text: string; truncated: boolean }> {
    const url = `${target.baseUrl}/v1/pages/${encodeURIComponent(target.pageId)}${path}`;
    // Checked against secrets.<name>.sendTo before any request: the key goes to its host only.
    const key = await deps.secrets.resolveFor(target.tokenSecret, url);
    const res = await safeFetch(deps, {
      url,
      init: {
        method,
        headers: {
          Authorization: `OAuth ${key}`,
          Accept: 'application/json',
          ...(incident ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(incident ? { body: JSON.stringify({ incident }) } : {}),
        signal: AbortSignal.timeout(10_000),
      },
      carriesSecrets: true,
    });
    const read = await readCapped(res, maxBytes);
    if (res.ok) return { status: res.status, ...read };
    const message = `statuspage '${name}' answered ${res.status} to ${what}`;
    // 420 is Statuspage's own "slow down" (1 request a second per key), as 429.
    throw answerFailure(message, res, () => refusalOf(read.text), [420]);
  }

  async function list(name: string, target: StatuspageTarget, what: string, path: string) {
    const got = await call(name, target, what, 'GET', path, MAX_LIST_BYTES);
    let parsed: unknown;
    try {
      parsed = got.truncated ? undefined : JSON.parse(got.text);
    } catch {
      parsed = undefined;
    }
    // Not knowing what is there, opening an incident could open a second one.
    if (!Array.isArray(parsed))
      throw ApplicationFailure.retryable(
        `statuspage '${name}' answered ${what} with ${got.truncated ? `more than ${MAX_LIST_BYTES / 1024} KiB` : 'something not a list'}: cannot tell whether the incident exists, so none was opened`,
        FAILURE.HttpUnexpectedStatus,
      );
    return parsed.map(record).filter((i): i is Record<string, unknown> => i !== undefined);
  }

  /**
   * The incident carrying `key`: among the unresolved ones, and with `alsoRecent` (a resolve
   * whose incident may be resolved already) among the most recent ones.
   */
  async function findByKey(
    name: string,
    target: StatuspageTarget,
    key: string,
    alsoRecent: boolean,
  ): Promise<FoundIncident | undefined> {
    const open = await list(name, target, 'listing unresolved incidents', '/incidents/unresolved');
    const mine = open.find((i) => keyOf(i) === key);
    if (mine || !alsoRecent) return mine ? foundOf(mine) : undefined;
    const recent = await list(name, target, 'listing recent incidents', `/incidents?limit=${RECENT_LIMIT}`);
    const resolved = recent.find((i) => keyOf(i) === key);
    return resolved ? foundOf(resolved) : undefined;
  }

  /** POST: the new incident's id. */
  async function create(name: string, target: StatuspageTarget, incident: StatuspageIncidentBody): Promise<string> {
    const got = await call(name, target, 'creating an incident', 'POST', '/incidents', MAX_INCIDENT_BYTES, incident);
    let id: string | undefined;
    try {
      id = text(record(JSON.parse(got.text))?.id);
    } catch {
      id = undefined;
    }
    // Retried: the next attempt finds the incident by its key and answers it.
    if (!id)
      throw ApplicationFailure.retryable(
        `statuspage '${name}' answered ${got.status} to creating an incident without the incident's id`,
        FAILURE.HttpUnexpectedStatus,
      );
    return id;
  }

  /** PATCH: status, an update's text, component statuses. */
  async function update(
    name: string,
    target: StatuspageTarget,
    id: string,
    incident: StatuspageIncidentBody,
  ): Promise<void> {
    await call(
      name,
      target,
      `updating incident ${id}`,
      'PATCH',
      `/incidents/${encodeURIComponent(id)}`,
      MAX_INCIDENT_BYTES,
      incident,
    );
  }

  return { findByKey, create, update };
}
