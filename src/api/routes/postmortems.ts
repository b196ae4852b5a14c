/**
 * Postmortem follow-ups: list, show, act (people, with a token), and the trackers' webhooks that
 * close action items (no token: the signature over the raw body is the credential, checked
 * before anything in the body is read, src/api/ticket-webhooks.ts). A webhook is answered at
 * once: 200 when it closed an item, 202 with the reason when there was nothing to do (it names
 * no item, closes nothing, was delivered before), 401 for a bad signature, 400 for a body that
 * is not the tracker's event.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../config/schema';
import type { JsonLines } from '../../platform/json-lines';
import type { PostmortemService, TrackerEvent, TrackerOutcome } from '../../runs/postmortems';
import type { PostmortemAction } from '../../shared/postmortem';
import type { requireRole } from '../auth';
import {
  MAX_TICKET_EVENT_BYTES,
  parseGithubIssueEvent,
  parseJiraIssueEvent,
  verifyGithubSignature,
  verifyJiraSignature,
} from '../ticket-webhooks';
import { parseOr400 } from '../validation';

export type TicketWebhookSource = 'github' | 'jira';

/** A body that verified but is not the tracker's event, kept for a person to look at. */
export interface TicketEventJournalEntry {
  at: string;
  source: TicketWebhookSource;
  reason: string;
  deliveryId?: string;
  /** The body as received, cut at JOURNAL_BODY_MAX characters. */
  body: string;
}
const JOURNAL_BODY_MAX = 64 * 1024;

export interface PostmortemRouteDeps {
  postmortems: Pick<PostmortemService, 'list' | 'get' | 'act' | 'closeItemFromTracker'>;
  role: (r: Role) => ReturnType<typeof requireRole>;
  /** The secrets each tracker signs with (`tickets.webhooks.<kind>.secretEnv`); a tracker absent here is 404. */
  ticketWebhooks?: { github?: Buffer; jira?: Buffer };
  /** Told of each refused delivery (a metric): a bad signature, a malformed body. */
  refused?: (source: TicketWebhookSource, reason: 'bad-signature' | 'malformed') => void;
  /** Where malformed (but signed) bodies are kept; without it they are only logged. */
  journal?: JsonLines<TicketEventJournalEntry>;
}

const who = z.string().trim().min(1).max(200);
const common = { via: z.enum(['api', 'cli']).default('api'), requestId: z.string().min(1).max(200).optional() };
const itemId = z.string().regex(/^ai-\d{1,6}$/, 'an item id such as ai-1');
const url = z.url().max(2000).optional();

const actionBody = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('assign-owner'), owner: who, ...common }).strict(),
    z
      .object({
        kind: z.literal('add-item'),
        title: z.string().trim().min(1).max(200),
        owner: who,
        dueAt: z.iso.datetime({ offset: true, error: 'an ISO-8601 time with its offset, e.g. 2026-12-15T17:00:00Z' }),
        ...common,
      })
      .strict(),
    z.object({ kind: z.literal('assign-item'), itemId, owner: who, ...common }).strict(),
    z.object({ kind: z.literal('close-item'), itemId, reason: z.string().max(2000).optional(), ...common }).strict(),
    z.object({ kind: z.literal('complete'), url, ...common }).strict(),
    z.object({ kind: z.literal('report'), url, ...common }).strict(),
    z.object({ kind: z.literal('note'), text: z.string().trim().min(1).max(2000), ...common }).strict(),
  ],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? 'kind: one of assign-owner, add-item, assign-item, close-item, complete, report, note'
        : undefined,
  },
);

const listQuery = z
  .object({
    phase: z.enum(['open', 'overdue', 'done']).optional(),
    service: z.string().optional(),
    incident: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** Jira sends the issue's labels (where an item's label is); bounded as the other parsers are. */
function jiraLabels(raw: string): string[] {
  try {
    const labels = (JSON.parse(raw) as { issue?: { fields?: { labels?: unknown } } })?.issue?.fields?.labels;
    return Array.isArray(labels)
      ? labels.filter((l): l is string => typeof l === 'string' && l.length <= 255).slice(0, 100)
      : [];
  } catch {
    return [];
  }
}

/** The event's name when the body is an object naming one (a short word), else undefined. */
function jiraEventName(raw: string): string | undefined {
  try {
    const name = (JSON.parse(raw) as { webhookEvent?: unknown })?.webhookEvent;
    return typeof name === 'string' && /^[\w:.-]{1,100}$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

export function postmortemRoutes(app: FastifyInstance, deps: PostmortemRouteDeps): void {
  const { postmortems } = deps;

  app.get('/v1/postmortems', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const q = await parseOr400(listQuery, req.query, reply, 'query');
    if (!q) return reply;
    return { postmortems: await postmortems.list(q) };
  });

  app.get<{ Params: { id: string } }>('/v1/postmortems/:id', { preHandler: deps.role('viewer') }, async (req) =>
    postmortems.get(req.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/postmortems/:id/actions',
    { preHandler: deps.role('operator') },
    async (req, reply) => {
      const body = await parseOr400(actionBody, req.body, reply);
      if (!body) return reply;
      const { via, requestId, ...action } = body;
      const actor = req.principal?.identity as string;
      return postmortems.act(req.params.id, action as PostmortemAction, actor, via, requestId);
    },
  );

  app.register(async (scope) => {
    // The signature is over the body exactly as sent: read it as text, parse it only once verified.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_TICKET_EVENT_BYTES }, (_req, body, done) =>
      done(null, body),
    );

    /** The raw body if its signature verifies; otherwise answers 401 (or 404: not configured). */
    const verified = async (
      source: TicketWebhookSource,
      req: FastifyRequest,
      reply: FastifyReply,
    ): Promise<string | undefined> => {
      const secret = deps.ticketWebhooks?.[source];
      const signatureHeader = source === 'github' ? 'x-hub-signature-256' : 'x-hub-signature';
      if (!secret) {
        await reply.code(404).send({ error: `${source} webhooks are not configured (tickets.webhooks.${source})` });
        return undefined;
      }
      const raw = typeof req.body === 'string' ? req.body : '';
      const check = source === 'github' ? verifyGithubSignature : verifyJiraSignature;
      if (!check(secret, header(req, signatureHeader), raw)) {
        deps.refused?.(source, 'bad-signature');
        req.log.warn(
          { source, delivery: header(req, 'x-github-delivery') ?? header(req, 'x-atlassian-webhook-identifier') },
          'ticket webhook refused: bad signature',
        );
        await reply.code(401).send({ error: `not signed with the ${source} webhook secret`, field: signatureHeader });
        return undefined;
      }
      return raw;
    };

    const malformed = async (
      source: TicketWebhookSource,
      req: FastifyRequest,
      reply: FastifyReply,
      raw: string,
      deliveryId?: string,
    ): Promise<FastifyReply> => {
      const reason = source === 'github' ? 'not a GitHub issues event' : 'not a Jira issue event';
      deps.refused?.(source, 'malformed');
      req.log.warn({ source, deliveryId }, `ticket webhook: ${reason}`);
      await deps.journal
        ?.append({
          at: new Date().toISOString(),
          source,
          reason,
          ...(deliveryId ? { deliveryId } : {}),
          body: raw.slice(0, JOURNAL_BODY_MAX),
        })
        .catch((err: Error) => req.log.error({ err }, 'ticket webhook journal write failed'));
      return reply.code(400).send({ error: reason, field: 'body' });
    };

    const answer = (reply: FastifyReply, o: TrackerOutcome): FastifyReply => {
      const { outcome, ...rest } = o;
      // An event naming an item whose issue it is not: someone copied a marker, or a tracker misrouted.
      if (outcome === 'refused') reply.log.warn({ ...rest }, 'ticket webhook refused by the postmortem');
      return reply.code(outcome === 'closed' ? 200 : 202).send({ status: outcome, ...rest });
    };

    scope.post('/v1/webhooks/github', async (req, reply) => {
      const raw = await verified('github', req, reply);
      if (raw === undefined) return reply;
      const event = header(req, 'x-github-event');
      if (event === 'ping') return reply.code(200).send({ status: 'pong' });
      if (event !== 'issues')
        return reply.code(202).send({ status: 'ignored', reason: `a '${event ?? 'unnamed'}' event closes nothing` });
      const deliveryId = header(req, 'x-github-delivery');
      if (!deliveryId || deliveryId.length > 200)
        return reply.code(400).send({ error: 'X-GitHub-Delivery is required', field: 'x-github-delivery' });
      const e = parseGithubIssueEvent(raw);
      if (!e) return malformed('github', req, reply, raw, deliveryId);
      const ev: TrackerEvent = { kind: 'github', deliveryId, ...e };
      return answer(reply, await postmortems.closeItemFromTracker(ev));
    });

    scope.post('/v1/webhooks/jira', async (req, reply) => {
      const raw = await verified('jira', req, reply);
      if (raw === undefined) return reply;
      // Stable across Jira's retries; a body hash when it is missing (the same event is the same body).
      const given = header(req, 'x-atlassian-webhook-identifier');
      const deliveryId =
        given && given.length <= 200 ? given : `sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
      const e = parseJiraIssueEvent(raw);
      if (!e) {
        const name = jiraEventName(raw);
        if (name !== undefined && !name.startsWith('jira:issue_'))
          return reply.code(202).send({ status: 'ignored', reason: `a '${name}' event closes nothing` });
        return malformed('jira', req, reply, raw, deliveryId);
      }
      const ev: TrackerEvent = { kind: 'jira', deliveryId, ...e, labels: jiraLabels(raw) };
      return answer(reply, await postmortems.closeItemFromTracker(ev));
    });
  });
}
