/**
 * Alert webhooks. Alertmanager and Grafana authenticate with a bearer token (role `alerts`);
 * PagerDuty and generic senders sign the raw body. 2xx only once Temporal holds every alert of
 * the notification; 503 (with Retry-After) when it cannot, when overloaded, or when the journal
 * cannot be written, so senders retry; never 429. Malformed payloads: 400 naming the problem,
 * and the body kept in the journal. Too large: 413, never retried by the sender, with the head of
 * the body (a body over 4 MiB) or the alert (one too large for a Temporal payload) in the journal.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import type { AlertTrigger } from '../../alerts';
import { BODY_MAX, JOURNAL_KINDS } from '../../alerts/journal';
import { verifyGeneric, verifyPagerduty } from '../../alerts/signature';
import { alertmanagerPayload, grafanaPayload, normalizePrometheusLike } from '../../alerts/sources/prometheus-like';
import { normalizePagerduty, pagerdutyPayload } from '../../alerts/sources/pagerduty';
import { labelFingerprint } from '../../alerts/fingerprint';
import { genericPayload, normalizeGeneric } from '../../alerts/sources/generic';
import type { Role } from '../../config/schema';
import { formatPath } from '../../files/problems';
import { RunError } from '../../runs/errors';
import type { AlertInstance, AlertSource } from '../../shared/alert';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

/** The largest notification read (Alertmanager's `max_alerts` keeps a big group under it). */
const BODY_LIMIT = 4 * 1024 * 1024;
const RETRY_AFTER_S = '5';

/** A body over BODY_LIMIT: what was read of its head, for the journal. */
class BodyTooLarge extends Error {
  readonly statusCode = 413;
  constructor(
    readonly head: string,
    /** As declared in Content-Length, when it was. */
    declared?: number,
  ) {
    super(
      declared
        ? `the body is ${declared} bytes; an alert webhook takes at most ${BODY_LIMIT}`
        : `the body is over ${BODY_LIMIT} bytes, the most an alert webhook takes`,
    );
  }
}

/**
 * Reads a body as text up to BODY_LIMIT bytes. A larger one (declared or sent) is refused once
 * its head (what the journal keeps) is read; the rest is discarded as it arrives.
 */
function readBody(
  req: FastifyRequest,
  payload: NodeJS.ReadableStream,
  done: (err: Error | null, body?: string) => void,
): void {
  const declared = Number(req.headers['content-length']);
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (err: Error | null, body?: string): void => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, body);
  };
  const tooLarge = (): void => {
    const head = Buffer.concat(chunks).subarray(0, BODY_MAX).toString('utf8');
    finish(new BodyTooLarge(head, declared > BODY_LIMIT ? declared : undefined));
  };
  function onData(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    // Past the bound only the head is kept (a single chunk may be larger than the bound).
    if (size > BODY_LIMIT) {
      if (size - b.length < BODY_MAX) chunks.push(b.subarray(0, BODY_MAX));
      return tooLarge();
    }
    chunks.push(b);
    if (declared > BODY_LIMIT && size >= BODY_MAX) tooLarge();
  }
  function onEnd(): void {
    if (declared > BODY_LIMIT) return tooLarge();
    finish(null, Buffer.concat(chunks, size).toString('utf8'));
  }
  function onError(err: Error): void {
    finish(Object.assign(err, { statusCode: 400 }));
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}

function metrics(registry: Registry, trigger: AlertTrigger) {
  const notifications = new Counter({
    name: 'runbook_api_alert_notifications_total',
    help: 'Alert webhook deliveries, by source and result (accepted, malformed, unauthorized, unavailable, oversized, ignored, duplicate).',
    labelNames: ['source', 'result'] as const,
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'runbook_api_alerts_total',
    help: 'Alerts in accepted deliveries, by source, status and outcome (accepted, duplicate, coalesced, run-ended, unrouted, unstartable, oversized).',
    labelNames: ['source', 'status', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'runbook_api_alert_deliveries_in_flight',
    help: 'Temporal calls for alerts in flight now (at most alerts.maxInFlight).',
    registers: [registry],
    collect() {
      this.set(trigger.ingest.inFlight());
    },
  });
  new Gauge({
    name: 'runbook_api_alert_backlog',
    help: 'Alerts taken and not yet answered (waiting for a Temporal call, or in one).',
    registers: [registry],
    collect() {
      this.set(trigger.ingest.backlog());
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
    scope.addContentTypeParser('*', readBody);

    const sourceOf = (req: FastifyRequest): AlertSource =>
      (req.routeOptions.url ?? '').replace('/v1/alerts/', '') as AlertSource;

    const configured = (source: AlertSource): boolean =>
      (source !== 'pagerduty' || trigger.pagerdutySecret !== undefined) &&
      (source !== 'generic' || trigger.genericSecret !== undefined);

    // A body too large to read: kept (its head) once its sender is known where a token says so;
    // a signed body's signature cannot be checked on a head, so the entry says it is unverified.
    const oversizedBody = async (req: FastifyRequest, reply: FastifyReply, err: BodyTooLarge) => {
      const source = sourceOf(req);
      if (!configured(source)) return reply.code(404).send({ error: `${source} alert webhooks are not configured` });
      const bearer = source === 'alertmanager' || source === 'grafana';
      if (bearer) {
        await deps.role('alerts')(req, reply);
        if (reply.sent) return reply;
      }
      delivered.inc({ source, result: 'oversized' });
      await trigger.journal.record({
        kind: 'oversized',
        source,
        reason: `body: ${err.message}${bearer ? '' : ' (signature not checked)'}`,
        body: err.head,
        remote: req.ip,
      });
      req.log.warn({ source }, `oversized ${source} notification refused, its head kept in the journal`);
      return reply.code(413).send({ error: `body: ${err.message}; its head is kept in the journal`, field: 'body' });
    };

    scope.setErrorHandler(async (err, req, reply) => {
      if (err instanceof BodyTooLarge) return oversizedBody(req, reply, err);
      // Temporal unreachable or overloaded, or the journal cannot be written: the sender retries.
      if (err instanceof RunError && err.kind === 'unavailable') {
        delivered.inc({ source: sourceOf(req), result: 'unavailable' });
        return reply.code(503).header('retry-after', RETRY_AFTER_S).send({ error: err.message });
      }
      throw err; // the app's own handler
    });

    const malformed = async (
      source: AlertSource,
      req: FastifyRequest,
      reply: FastifyReply,
      field: string,
      message: string,
    ) => {
      await trigger.journal.record({
        kind: 'malformed',
        source,
        reason: `${field}: ${message}`,
        body: String(req.body ?? ''),
        remote: req.ip,
      });
      delivered.inc({ source, result: 'malformed' });
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

    /** 200 once Temporal holds every alert; 413 when one is too large for it (the others delivered). */
    const deliver = async (
      source: AlertSource,
      alerts: AlertInstance[],
      reply: FastifyReply,
      field: (i: number) => string = (i) => `alerts[${i}]`,
    ) => {
      const results = await trigger.ingest.ingest(source, alerts);
      const tooLarge = results.findIndex((r) => r.outcome === 'oversized');
      if (tooLarge >= 0) {
        delivered.inc({ source, result: 'oversized' });
        const at = field(tooLarge);
        return reply.code(413).send({
          error: `${at}: ${results[tooLarge]?.reason}; kept in the journal`,
          field: at,
          accepted: results.length,
          results,
        });
      }
      delivered.inc({ source, result: 'accepted' });
      return reply.code(200).send({ accepted: results.length, results });
    };

    const unauthorized = async (source: AlertSource, req: FastifyRequest, reply: FastifyReply, why: string) => {
      await trigger.journal.record({ kind: 'unauthorized', source, reason: why, remote: req.ip });
      delivered.inc({ source, result: 'unauthorized' });
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
      await deliver('pagerduty', [n.alert], reply, () => 'event.data');
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
      return deliver('generic', normalizeGeneric(body), reply, (i) => ('alerts' in body ? `alerts[${i}]` : 'body'));
    });
  });
}
