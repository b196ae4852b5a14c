/**
 * Development only (`api.devInbox: true`, set in config/dev.yaml): a webhook receiver inside the
 * API, so notifications from runbooks on a laptop land somewhere a person can read them
 * (`GET /v1/dev/inbox`) instead of failing for want of a Slack or PagerDuty. Never in production.
 */
import type { FastifyInstance } from 'fastify';
import type { requireRole } from '../auth';

const KEEP = 200;

export interface InboxEntry {
  target: string;
  receivedAt: string;
  body: unknown;
}

export function devInboxRoutes(
  app: FastifyInstance,
  deps: { role: (r: 'viewer') => ReturnType<typeof requireRole> },
): void {
  const entries: InboxEntry[] = [];
  app.post<{ Params: { target: string } }>('/v1/dev/inbox/:target', async (req, reply) => {
    entries.push({ target: req.params.target, receivedAt: new Date().toISOString(), body: req.body ?? null });
    if (entries.length > KEEP) entries.splice(0, entries.length - KEEP);
    return reply.code(202).send({ stored: true });
  });
  app.get('/v1/dev/inbox', { preHandler: deps.role('viewer') }, async () => ({
    notifications: [...entries].reverse(),
  }));
}
