/**
 * The audit log: every human action through the API (a start, a decision, a step decision, a
 * cancel, a freeze, a schedule operation, an alert test), refused ones too, as one JSON line:
 * who (from the token, or `anonymous` when none verified), through which channel, what, on what,
 * when, the request id and the outcome. Append-only, rotated at a size cap; each API replica
 * keeps its own. Alert deliveries by Alertmanager and the development inbox are not human
 * actions: the alert journal keeps the former.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JsonLines } from '../platform/json-lines';

export interface AuditEntry {
  at: string;
  identity: string;
  channel: 'api' | 'cli' | 'slack';
  /** Method and route: `POST /v1/runs/:id/approvals`. */
  action: string;
  /** The run, schedule or freeze acted on, when the route names one. */
  target?: string;
  /** Fastify's request id (also in the API's own log lines). */
  requestId: string;
  status: number;
  outcome: 'done' | 'refused' | 'failed';
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Machine deliveries and development helpers: not audited here. */
const NOT_HUMAN = /^\/v1\/(alerts\/(alertmanager|grafana|pagerduty|generic)|dev\/|webhooks\/)/;

export function installAudit(app: FastifyInstance, log: JsonLines<AuditEntry>): void {
  app.addHook('onResponse', async (req, reply) => {
    if (!MUTATING.has(req.method) || !req.url.startsWith('/v1/') || NOT_HUMAN.test(req.url)) return;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const entry: AuditEntry = {
      at: new Date().toISOString(),
      identity: req.principal?.identity ?? 'anonymous',
      channel: channelOf(req),
      action: `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`,
      ...(typeof params.id === 'string' ? { target: params.id.slice(0, 256) } : {}),
      requestId: String(req.id),
      status: reply.statusCode,
      outcome: reply.statusCode < 400 ? 'done' : reply.statusCode < 500 ? 'refused' : 'failed',
    };
    // An audit line that cannot be written is logged, never turned into a failed request.
    await log.append(entry).catch((err: Error) => req.log.error({ err }, 'audit log write failed'));
  });
}

function channelOf(req: FastifyRequest): AuditEntry['channel'] {
  if (req.url.startsWith('/v1/slack/')) return 'slack';
  const body = req.body as { via?: unknown } | undefined;
  return body && typeof body === 'object' && body.via === 'cli' ? 'cli' : 'api';
}
