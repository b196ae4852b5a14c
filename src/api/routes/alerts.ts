/**
 * Alert webhooks. Alertmanager and Grafana authenticate with a bearer token (role `alerts`);
 * PagerDuty and generic senders sign the raw body. 2xx only once Temporal holds every alert of
 * the notification; 503 (with Retry-After) when it cannot, or when overloaded, so senders retry;
 * never 429. Malformed payloads: 400 naming the problem, and the body kept in the journal.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import type { AlertTrigger } from '../../alerts';
import { JOURNAL_KINDS } from '../../alerts/journal';
import { verifyGeneric, verifyPagerduty } from '../../alerts/signature';
import { alertmanagerPayload, grafanaPayload, normalizePrometheusLike } from '../../alerts/sources/prometheus-like';
import { normalizePagerduty, pagerdutyPayload } from '../../alerts/sources/pagerduty';
import { genericPayload, labelFingerprint, normalizeGeneric } from '../../alerts/sources/generic';
import type { Role } from '../../config/schema';
import { formatPath } from '../../files/problems';
import { RunError } from '../../runs/errors';
import type { AlertInstance, AlertSource } from '../../shared/alert';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const BODY_LIMIT = 4 * 1024 * 1024;
const RETRY_AFTER_S = '5';

function metrics(registry: Registry, trigger: AlertTrigger) {
  const notifications = new Counter({
    name: 'runbook_api_alert_notifications_total',
    help: 'Alert webhook deliveries, by source and result (accepted, malformed, unauthorized, unavailable, ignored, duplicate).',
    labelNames: ['source', 'result'] as const,
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'runbook_api_alerts_total',
    help: 'Alerts in accepted deliveries, by source, status and outcome (accepted, duplicate, run-ended, unrouted, unstartable).',
    labelNames: ['source', 'status', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'runbook_api_alert_deliveries_in_flight',
    help: 'Alert deliveries waiting on Temporal now.',
    registers: [registry],
    collect() {
      this.set(trigger.ingest.inFlight());
    },
  });
  trigger.onOutcome = (source, r) => alerts.inc({ source, status: r.status, outcome: r.outcome });
  return notifications;
}

/** Remembers recent PagerDuty deliveries (X-Webhook-Id): a redelivery is answered without work. */
function deliveryMemory(size = 10_000) {
  const seen = new Set<string>();
  return {
    has: (id: string) => seen.has(id),
    add(id: string) {
      seen.add(id);
      if (seen.size > size) seen.delete(seen.values().next().value as string);
    },
  };
}

const testBody = z
  .object({
    source: z.enum(['alertmanager', 'grafana', 'pagerduty', 'generic']).default('alertmanager'),
    status: z.enum(['firing', 'resolved']).default('firing'),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()).default({}),
    fingerprint: z.string().min(1).optional(),
    startsAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

const journalQuery = z
  .object({
    kind: z.enum(JOURNAL_KINDS).default('unrouted'),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .strict();

export function alertRoutes(
  app: FastifyInstance,
  deps: { trigger: AlertTrigger; registry: Registry; role: (r: Role) => ReturnType<typeof requireRole> },
): void {
  const { trigger } = deps;
  const delivered = metrics(deps.registry, trigger);
  const pdDeliveries = deliveryMemory();

  app.get('/v1/alerts/journal', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const q = await parseOr400(journalQuery, req.query, reply, 'query');
    if (!q) return reply;
    return { kind: q.kind, entries: await trigger.journal.list(q.kind, q.limit) };
  });

  app.get('/v1/alerts/routes', { preHandler: deps.role('viewer') }, async () => ({ routes: trigger.routes }));

  // Which route an alert would take, with what params and run: nothing is started.
  app.post('/v1/alerts/test', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const b = await parseOr400(testBody, req.body, reply);
    if (!b) return reply;
    const alert: AlertInstance = {
      source: b.source,
      status: b.status,
      fingerprint: b.fingerprint ?? labelFingerprint(b.labels),
      startsAt: new Date(b.startsAt ?? Date.now()).toISOString(),
      labels: b.labels,
      annotations: b.annotations,
      links: [],
    };
    return { alert, ...trigger.ingest.explain(alert) };
  });

  // The webhooks read their bodies as text: signatures are over the raw bytes, and a malformed
  // body is kept as it came.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    const malformed = async (
      source: AlertSource,
      req: FastifyRequest,
      reply: FastifyReply,
      field: string,
      message: string,
    ) => {
      delivered.inc({ source, result: 'malformed' });
      await trigger.journal.record({
        kind: 'malformed',
        source,
        reason: `${field}: ${message}`,
        body: String(req.body ?? ''),
        remote: req.ip,
      });
      req.log.warn({ source, field }, `malformed ${source} alert kept in the journal: ${message}`);
      return reply.code(400).send({ error: `${field}: ${message}`, field });
    };

    const parse = async <S extends z.ZodType>(
      source: AlertSource,
      schema: S,
      req: FastifyRequest,
      reply: FastifyReply,
    ): Promise<z.infer<S> | undefined> => {
      let json: unknown;
      try {
        json = JSON.parse(String(req.body ?? ''));
      } catch (err) {
        await malformed(source, req, reply, 'body', `not JSON: ${(err as Error).message}`);
        return undefined;
      }
      const r = schema.safeParse(json);
      if (r.success) return r.data;
      const issue = r.error.issues[0] as z.core.$ZodIssue;
      await malformed(source, req, reply, issue.path.length ? formatPath(issue.path) : 'body', issue.message);
      return undefined;
    };

    const deliver = async (source: AlertSource, alerts: AlertInstance[], reply: FastifyReply) => {
      try {
        const results = await trigger.ingest.ingest(source, alerts);
        delivered.inc({ source, result: 'accepted' });
        return reply.code(200).send({ accepted: results.length, results });
      } catch (err) {
        if (err instanceof RunError && err.kind === 'unavailable') {
          delivered.inc({ source, result: 'unavailable' });
          return reply.code(503).header('retry-after', RETRY_AFTER_S).send({ error: err.message });
        }
        throw err;
      }
    };

    const unauthorized = async (source: AlertSource, req: FastifyRequest, reply: FastifyReply, why: string) => {
      delivered.inc({ source, result: 'unauthorized' });
      await trigger.journal.record({ kind: 'unauthorized', source, reason: why, remote: req.ip });
      return reply.code(401).send({ error: why, field: 'signature' });
    };

    for (const [source, schema] of [
      ['alertmanager', alertmanagerPayload],
      ['grafana', grafanaPayload],
    ] as const) {
      scope.post(`/v1/alerts/${source}`, { preHandler: deps.role('alerts') }, async (req, reply) => {
        const body = await parse(source, schema, req, reply);
        if (!body) return reply;
        return deliver(source, normalizePrometheusLike(source, body.alerts), reply);
      });
    }

    scope.post('/v1/alerts/pagerduty', async (req, reply) => {
      if (!trigger.pagerdutySecret)
        return reply
          .code(404)
          .send({ error: 'PagerDuty webhooks are not configured (alerts.pagerduty in the configuration)' });
      if (
        !verifyPagerduty(
          trigger.pagerdutySecret,
          String(req.body ?? ''),
          req.headers['x-pagerduty-signature'] as string | undefined,
        )
      ) {
        return unauthorized('pagerduty', req, reply, 'x-pagerduty-signature does not match the body');
      }
      const deliveryId = req.headers['x-webhook-id'];
      if (typeof deliveryId === 'string' && pdDeliveries.has(deliveryId)) {
        delivered.inc({ source: 'pagerduty', result: 'duplicate' });
        return { accepted: 0, duplicate: deliveryId };
      }
      const body = await parse('pagerduty', pagerdutyPayload, req, reply);
      if (!body) return reply;
      const n = normalizePagerduty(body);
      if ('ignored' in n) {
        delivered.inc({ source: 'pagerduty', result: 'ignored' });
        return { accepted: 0, ignored: n.ignored };
      }
      await deliver('pagerduty', [n.alert], reply);
      if (reply.statusCode === 200 && typeof deliveryId === 'string') pdDeliveries.add(deliveryId);
      return reply;
    });

    scope.post('/v1/alerts/generic', async (req, reply) => {
      if (!trigger.genericSecret)
        return reply
          .code(404)
          .send({ error: 'generic alert webhooks are not configured (alerts.generic in the configuration)' });
      const why = verifyGeneric(
        trigger.genericSecret,
        String(req.body ?? ''),
        req.headers['x-runbooks-timestamp'] as string | undefined,
        req.headers['x-runbooks-signature'] as string | undefined,
      );
      if (why) return unauthorized('generic', req, reply, why);
      const body = await parse('generic', genericPayload, req, reply);
      if (!body) return reply;
      return deliver('generic', normalizeGeneric(body), reply);
    });
  });
}
