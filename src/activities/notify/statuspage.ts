/**
 * `notify:statuspage:incident` over Atlassian Statuspage REST v1 (and pages compatible with it).
 * Statuspage has no idempotency key, so the state is read first: a step finds its incident by
 * key before it opens another, and sends nothing when the page already shows what was asked.
 */
import { FAILURE } from '../../shared/failures';
import type { StepContext } from '../../shared/activity-types';
import type {
  NotifyStatuspageIncidentInput,
  NotifyStatuspageIncidentResult,
  StatuspageComponentStatus,
} from '../../catalog/statuspage';
import type { StatuspageTarget } from '../../config/load';
import { permanent } from '../errors';
import { createStatuspageSender, type FoundIncident, type StatuspageIncidentBody } from './statuspage-client';
import { notThatKind, targetNamed, toldSent, type NotifyDeps } from './targets';
import { renderStatus } from './templates';
import { createWebhookSender } from './webhook';

export { createStatuspageSender } from './statuspage-client';

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
