/**
 * Atlassian Statuspage REST v1 (and pages compatible with it): incidents opened and updated
 * through `<base>/v1/pages/<page>/incidents`, `Authorization: OAuth <key>`, the key a named
 * secret bound to the target's host. Statuspage has no idempotency key, so the state is read
 * first: the incident carries its key in `metadata.runbook.key`, and a step finds it among the
 * unresolved ones (the recent ones too, when it resolves) before it opens another.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../../shared/failures';
import type { StepContext } from '../../shared/activity-types';
import type {
  NotifyStatuspageIncidentInput,
  NotifyStatuspageIncidentResult,
  StatuspageComponentStatus,
  StatuspageStatus,
} from '../../catalog/statuspage';
import type { StatuspageTarget } from '../../config/load';
import { permanent } from '../errors';
import { readCapped, safeFetch } from '../safe-fetch';
import { retryLater } from './retry-after';
import { notThatKind, targetNamed, toldSent, type NotifyDeps } from './targets';
import { renderStatus } from './templates';
import { createWebhookSender } from './webhook';

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

const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
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
    if (res.status === 420 || res.status === 429 || res.status >= 500) {
      throw retryLater(message, res.status, res.headers);
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 408)
      throw permanent(`${message}: ${refusalOf(read.text)}`, FAILURE.HttpClientError);
    throw ApplicationFailure.retryable(message, FAILURE.HttpUnexpectedStatus);
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

/**
 * The asked components by id: names through the target's `components`, ids as they are. A target
 * that lists its components takes only those (a misspelt name fails here, not on the page); one
 * that lists none takes ids only.
 */
export function componentsById(
  name: string,
  target: Pick<StatuspageTarget, 'components'>,
  asked: Record<string, StatuspageComponentStatus> | undefined,
): Record<string, StatuspageComponentStatus> | undefined {
  if (!asked) return undefined;
  const names = target.components;
  const listed = Object.keys(names);
  const ids = new Set(Object.values(names));
  const out: Record<string, StatuspageComponentStatus> = {};
  const unknown: string[] = [];
  for (const [c, status] of Object.entries(asked)) {
    const id = Object.hasOwn(names, c) ? names[c] : listed.length === 0 || ids.has(c) ? c : undefined;
    if (id === undefined) unknown.push(c);
    else out[id] = status;
  }
  if (unknown.length)
    throw permanent(
      `status page target '${name}' has no component ${unknown.map((u) => `'${u}'`).join(', ')} (known: ${listed.join(', ')})`,
      FAILURE.InvalidInput,
    );
  return out;
}

/** The page already shows what was asked: nothing to send. */
function alreadyAsAsked(
  found: FoundIncident,
  input: NotifyStatuspageIncidentInput,
  components: Record<string, StatuspageComponentStatus> | undefined,
): boolean {
  if (found.status !== input.status) return false;
  // The same text under the same status is an update already made (a retry whose answer was lost).
  if (input.body !== undefined && !found.updates.some((u) => u.status === input.status && u.body === input.body))
    return false;
  if (input.impact !== undefined && found.impactOverride !== input.impact) return false;
  return Object.entries(components ?? {}).every(([id, status]) => found.components[id] === status);
}

export function createStatuspageActivities(deps: NotifyDeps) {
  const sender = createStatuspageSender(deps);
  const webhook = createWebhookSender(deps);

  async function notifyStatuspageIncident(
    input: NotifyStatuspageIncidentInput,
    ctx: StepContext,
  ): Promise<NotifyStatuspageIncidentResult> {
    const target = targetNamed(deps.targets, input.target);
    const key = input.key ?? ctx.workflowId;
    const done = (incidentId: string, created: boolean, changed: boolean): NotifyStatuspageIncidentResult => ({
      target: input.target,
      incidentId,
      status: input.status,
      created,
      changed,
      delivered: true,
    });
    const body = (): string =>
      input.body ??
      // Absent inputs are left out of the scope, so a gap shows as `<issue>` rather than nothing.
      renderStatus(deps.templates, input.status, {
        ...(input.issue !== undefined ? { issue: input.issue } : {}),
        ...(input.rootCause !== undefined ? { rootCause: input.rootCause } : {}),
        runbook: { id: ctx.runbookId },
        run: { workflowId: ctx.workflowId, url: deps.runUrl(ctx.workflowId) },
      });

    // Development: the incident as it would be opened lands in the dev inbox (no page, no key).
    if (target.kind === 'webhook' && target.inboxFor === 'statuspage') {
      const incident = opening(input, key, body(), input.components);
      await webhook.postJson(input.target, target, { incident }, ctx);
      return done(key, true, true);
    }
    if (target.kind !== 'statuspage') {
      const kind = target.kind === 'webhook' ? (target.inboxFor ?? 'webhook') : target.kind;
      return notThatKind(input.target, kind, 'notify:statuspage:incident', 'statuspage');
    }

    const components = componentsById(input.target, target, input.components);
    const found = await sender.findByKey(input.target, target, key, input.status === 'resolved');
    if (found && alreadyAsAsked(found, input, components)) return done(found.id, false, false);
    const reason = input.name ?? `${input.status} ${key}`;
    if (found) {
      // A new status always says something (its template); the same status only with a new body.
      const says = found.status !== input.status || input.body !== undefined;
      await sender.update(input.target, target, found.id, {
        status: input.status,
        ...(says ? { body: body() } : {}),
        ...(input.impact ? { impact_override: input.impact } : {}),
        // component_ids is the incident's whole list: the ones it had stay on it.
        ...(components
          ? {
              component_ids: [...new Set([...Object.keys(found.components), ...Object.keys(components)])],
              components,
            }
          : {}),
        deliver_notifications: input.deliverNotifications,
      });
      toldSent(deps, 'statuspage', input.target, reason, ctx.workflowId);
      return done(found.id, false, true);
    }
    if (input.name === undefined)
      throw permanent(
        `status page '${input.target}' has no unresolved incident with key '${key}': opening one needs a name`,
        FAILURE.InvalidInput,
      );
    const id = await sender.create(input.target, target, opening(input, key, body(), components));
    toldSent(deps, 'statuspage', input.target, reason, ctx.workflowId);
    return done(id, true, true);
  }

  return { notifyStatuspageIncident };
}

/** The body that opens an incident, its key in the metadata. */
function opening(
  input: NotifyStatuspageIncidentInput,
  key: string,
  body: string,
  components: Record<string, StatuspageComponentStatus> | undefined,
): StatuspageIncidentBody {
  return {
    name: input.name ?? key,
    status: input.status,
    body,
    ...(input.impact ? { impact_override: input.impact } : {}),
    ...(components ? { component_ids: Object.keys(components), components } : {}),
    deliver_notifications: input.deliverNotifications,
    metadata: { runbook: { key } },
  };
}
