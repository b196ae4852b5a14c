/** Who is on call, now or at a given time (`GET /v1/oncall?at=`), from the configuration's rotations. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../config/schema';
import { onCallAt, type OnCallConfig } from '../../shared/oncall';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const query = z
  .object({
    at: z.iso
      .datetime({ offset: true, error: 'an ISO-8601 time with its offset, e.g. 2026-12-01T09:30:00Z' })
      .optional(),
  })
  .strict();

export function oncallRoutes(
  app: FastifyInstance,
  deps: { oncall: OnCallConfig; role: (r: Role) => ReturnType<typeof requireRole>; now?: () => number },
): void {
  app.get('/v1/oncall', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const q = await parseOr400(query, req.query, reply, 'query');
    if (!q) return reply;
    const at = q.at ? Date.parse(q.at) : (deps.now ?? Date.now)();
    return { ...onCallAt(deps.oncall, at), rotations: deps.oncall.rotations.map((r) => r.name) };
  });
}
