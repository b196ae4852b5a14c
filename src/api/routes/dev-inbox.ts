/**
 * Development only (`api.devInbox: true`, set in config/dev.yaml): a webhook receiver inside the
 * API, so notifications from runbooks on a laptop land somewhere a person can read them
 * (`GET /v1/dev/inbox`, viewer role) instead of failing for want of a Slack or PagerDuty. Never in
 * production. Posting takes the inbox token, which only the API and the worker can work out (from
 * the signing key they share): a laptop's API listens on the network, and what lands here is read
 * as what the runs said.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { devInboxToken } from '../../config/signing-keys';
import type { SigningKeys } from '../../shared/signed';
import type { requireRole } from '../auth';

const KEEP = 200;

export interface InboxEntry {
  target: string;
  receivedAt: string;
  body: unknown;
}

export { devInboxToken };

export function devInboxRoutes(
  app: FastifyInstance,
  deps: {
    role: (r: 'viewer') => ReturnType<typeof requireRole>;
    /** The keys the token is derived from; without them nothing may post. */
    signingKeys?: () => SigningKeys;
  },
): void {
  const entries: InboxEntry[] = [];
  // Every key verifies (as for signatures), so a worker not yet given a rotated key still delivers.
  const posterOk = (header: string | undefined): boolean => {
    const m = /^Bearer\s+([0-9a-f]{64})\s*$/i.exec(header ?? '');
    if (!m || !deps.signingKeys) return false;
    const given = Buffer.from((m[1] as string).toLowerCase(), 'hex');
    const keys = deps.signingKeys();
    let ok = false;
    for (const kid of keys.keys.keys()) ok = timingSafeEqual(given, Buffer.from(devInboxToken(keys, kid), 'hex')) || ok;
    return ok;
  };
  // In onRequest, as every check of a caller: a poster without the token is refused unread.
  const poster = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (posterOk(req.headers.authorization)) return undefined;
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: 'posting to the dev inbox takes the inbox token (the worker sends it)', field: 'authorization' });
  };
  app.post<{ Params: { target: string } }>('/v1/dev/inbox/:target', { onRequest: poster }, async (req, reply) => {
    entries.push({ target: req.params.target, receivedAt: new Date().toISOString(), body: req.body ?? null });
    if (entries.length > KEEP) entries.splice(0, entries.length - KEEP);
    return reply.code(202).send({ stored: true });
  });
  app.get('/v1/dev/inbox', { onRequest: deps.role('viewer') }, async () => ({
    notifications: [...entries].reverse(),
  }));
}
