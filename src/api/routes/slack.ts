/**
 * Slack as a place people decide: `POST /v1/slack/interactions` (button clicks) and
 * `POST /v1/slack/commands` (`/runbook status <run>`, `/runbook start <runbook> key=value`).
 * Each request is Slack's or refused (src/api/slack-signature.ts); the clicker is who the
 * configuration says that Slack user is, with that identity's roles, never a name in the payload;
 * and the decision takes the API's own path (signed, no self-approval, N of M in the run).
 * Slack wants an answer within 3 s: clicks are answered at once and their outcome follows through
 * `response_url`, which must point at Slack (`slack.responseUrlOrigins`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasRole, type Principal } from '../auth';
import type { Role } from '../../config/schema';
import { RunError } from '../../runs/errors';
import type { IncidentService } from '../../runs/incidents';
import type { RunService } from '../../runs/service';
import {
  parseButtonValue,
  SLACK_ACTION_PREFIX,
  SLACK_ACTIONS,
  type SlackAction,
  type SlackBlock,
} from '../../shared/slack-blocks';
import type { SlackRefusal, SlackVerifier } from '../slack-signature';
import { ephemeral, slackCommand, type Reply } from './slack-commands';

/** Slack's payloads are a few KB; anything near this is not Slack's. */
const BODY_MAX = 64 * 1024;
/** Within Slack's 3 s, with room for the network: slower work answers through response_url. */
const ANSWER_WITHIN_MS = 2000;

export interface SlackRouteDeps {
  runs: RunService;
  /** Incidents (an incident page's Acknowledge / Escalate buttons); without it those clicks are refused. */
  incidents?: Pick<IncidentService, 'act'>;
  verifier: SlackVerifier;
  users: Readonly<Record<string, { identity: string; roles: Role[] }>>;
  /** Where `response_url` may point. @default ['https://hooks.slack.com'] */
  responseUrlOrigins: readonly string[];
  /** For response_url posts (tests pass their own). @default global fetch */
  fetch?: typeof globalThis.fetch;
  /** Told of each refused request (a metric); the audit log keeps them too. */
  refused?: (reason: SlackRefusal | 'unmapped' | 'forbidden' | 'malformed') => void;
}

export function slackRoutes(app: FastifyInstance, deps: SlackRouteDeps): void {
  const fetchFn = deps.fetch ?? globalThis.fetch;

  /** Posts to a response_url that points at Slack; anything else is dropped (a payload could name any URL). */
  async function respond(url: unknown, body: Reply, req: FastifyRequest): Promise<void> {
    if (typeof url !== 'string' || url.length > 2000) return;
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return;
    }
    if (!deps.responseUrlOrigins.includes(origin)) {
      req.log.warn({ origin }, 'slack response_url outside slack.responseUrlOrigins: not posted');
      return;
    }
    try {
      const res = await fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'slack response_url post failed');
    }
  }

  /** The person a Slack user id is here, set as the request's principal (the audit log names them). */
  function principalOf(req: FastifyRequest, userId: unknown): Principal | undefined {
    const u =
      typeof userId === 'string' && Object.prototype.hasOwnProperty.call(deps.users, userId)
        ? deps.users[userId]
        : undefined;
    if (!u) return undefined;
    req.principal = { identity: u.identity, roles: [...u.roles] };
    return req.principal;
  }

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_MAX }, (_req, body, done) => done(null, body));

    const verified = (req: FastifyRequest, reply: FastifyReply): URLSearchParams | undefined => {
      const raw = typeof req.body === 'string' ? req.body : '';
      const refusal = deps.verifier.check(req.headers as Record<string, unknown>, raw);
      if (refusal) {
        deps.refused?.(refusal);
        req.log.warn({ refusal }, 'slack request refused');
        void reply.code(401).send({ error: `not a request from Slack: ${refusal}`, field: 'x-slack-signature' });
        return undefined;
      }
      return new URLSearchParams(raw);
    };

    scope.post('/v1/slack/interactions', async (req, reply) => {
      const form = verified(req, reply);
      if (!form) return reply;
      let payload: InteractionPayload;
      try {
        payload = JSON.parse(form.get('payload') ?? '') as InteractionPayload;
      } catch {
        deps.refused?.('malformed');
        return reply.code(400).send({ error: 'payload is not JSON', field: 'payload' });
      }
      // Other interactions (shortcuts, views) are acknowledged and left alone.
      if (payload?.type !== 'block_actions' || !Array.isArray(payload.actions)) return reply.code(200).send();
      const click = clickOf(payload.actions[0]);
      if (!click) return reply.code(200).send();
      const who = principalOf(req, payload.user?.id);
      if (!who) {
        deps.refused?.('unmapped');
        void respond(
          payload.response_url,
          ephemeral('You are not mapped to anyone in durable-runbooks (slack.users), so you cannot decide here.'),
          req,
        );
        return reply.code(200).send();
      }
      const needed: Role = click.action === 'approve' || click.action === 'reject' ? 'approver' : 'operator';
      if (!hasRole(who, needed)) {
        deps.refused?.('forbidden');
        void respond(payload.response_url, ephemeral(`${who.identity} lacks the ${needed} role.`), req);
        return reply.code(200).send();
      }
      // Answered now; the decision and what Slack shows follow.
      void decide(click, who, payload, req);
      return reply.code(200).send();
    });

    async function decide(
      click: Click,
      who: Principal,
      payload: InteractionPayload,
      req: FastifyRequest,
    ): Promise<void> {
      const blocks = Array.isArray(payload.message?.blocks) ? (payload.message.blocks as SlackBlock[]) : undefined;
      const after = (line: string, keepButtons: boolean): Reply => ({
        replace_original: true,
        text: line,
        ...(blocks
          ? {
              blocks: [
                ...blocks.filter((b) => keepButtons || b.type !== 'actions'),
                { type: 'context', elements: [{ type: 'mrkdwn', text: line }] },
              ],
            }
          : {}),
      });
      try {
        if (click.action === 'approve' || click.action === 'reject') {
          const r = await deps.runs.decide(click.workflowId, {
            stepId: click.stepId,
            decision: click.action,
            actor: who.identity,
            via: 'slack',
            ...(click.opening ? { opening: click.opening } : {}),
          });
          const line =
            r.outcome === 'pending'
              ? `${who.identity} approved; more approvals are needed`
              : `${r.outcome === 'approved' ? 'Approved' : 'Rejected'} by ${who.identity} (slack)`;
          await respond(payload.response_url, after(line, r.outcome === 'pending'), req);
        } else if (click.action === 'ack' || click.action === 'escalate') {
          if (!deps.incidents) throw new RunError('invalid', 'incidents are not served here');
          const r = await deps.incidents.act(
            click.workflowId,
            click.action === 'ack' ? { kind: 'ack' } : { kind: 'escalate', reason: 'from Slack' },
            { actor: who.identity, via: 'slack' },
          );
          await respond(payload.response_url, after(`${r.incidentId}: ${r.text}`, click.action === 'escalate'), req);
        } else {
          await deps.runs.decideStep(click.workflowId, {
            stepId: click.stepId,
            action: click.action,
            actor: who.identity,
            via: 'slack',
          });
          await respond(payload.response_url, after(`${click.action} by ${who.identity} (slack)`, false), req);
        }
      } catch (err) {
        // Refused by the run (the requester approving, a decision already made, a finished run): said to the clicker only.
        const message =
          err instanceof RunError ? err.message : 'the decision could not be sent; try again or use the CLI';
        if (!(err instanceof RunError)) req.log.error({ err }, 'slack decision failed');
        await respond(payload.response_url, ephemeral(`Not applied: ${message}`), req);
      }
    }

    scope.post('/v1/slack/commands', async (req, reply) => {
      const form = verified(req, reply);
      if (!form) return reply;
      const who = principalOf(req, form.get('user_id'));
      if (!who) {
        deps.refused?.('unmapped');
        return reply.send(ephemeral('You are not mapped to anyone in durable-runbooks (slack.users).'));
      }
      const words = (form.get('text') ?? '').trim().split(/\s+/).filter(Boolean);
      const work = slackCommand(words, who, deps.runs);
      // Quick answers go in the reply; slow ones are acknowledged and follow through response_url.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), ANSWER_WITHIN_MS);
      });
      const quick = await Promise.race([work, late]);
      clearTimeout(timer);
      if (quick) return reply.send(quick);
      void work.then((answer) => respond(form.get('response_url'), answer, req));
      return reply.send(ephemeral('Working on it…'));
    });
  });
}

interface InteractionPayload {
  type?: unknown;
  user?: { id?: unknown };
  actions?: unknown[];
  response_url?: unknown;
  message?: { blocks?: unknown };
}

interface Click {
  action: SlackAction;
  workflowId: string;
  stepId: string;
  /** The gate opening the request showed (approvals). */
  opening?: string;
}

function clickOf(a: unknown): Click | undefined {
  if (!a || typeof a !== 'object') return undefined;
  const { action_id: id, value } = a as { action_id?: unknown; value?: unknown };
  if (typeof id !== 'string' || !id.startsWith(SLACK_ACTION_PREFIX)) return undefined;
  const action = id.slice(SLACK_ACTION_PREFIX.length) as SlackAction;
  if (!SLACK_ACTIONS.includes(action)) return undefined;
  const target = parseButtonValue(value);
  return target ? { action, ...target } : undefined;
}
