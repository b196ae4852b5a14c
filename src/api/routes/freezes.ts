/** The kill switch: who froze what and why, freeze (admin), unfreeze (admin). Every change is audited. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../config/schema';
import type { ControlService } from '../../runs/control';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const freezeBody = z
  .object({
    scope: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('all') }).strict(),
      z.object({ kind: z.enum(['service', 'namespace', 'runbook']), value: z.string().min(1) }).strict(),
    ]),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict();

const unfreezeBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict();

export function freezeRoutes(
  app: FastifyInstance,
  deps: { control: ControlService; role: (r: Role) => ReturnType<typeof requireRole> },
): void {
  app.get('/v1/freezes', { preHandler: deps.role('viewer') }, async () => deps.control.state());

  app.post('/v1/freezes', { preHandler: deps.role('admin') }, async (req, reply) => {
    const body = await parseOr400(freezeBody, req.body, reply);
    if (!body) return reply;
    return reply.code(201).send(await deps.control.freeze(body.scope, req.principal?.identity as string, body.reason));
  });

  app.post<{ Params: { id: string } }>(
    '/v1/freezes/:id/unfreeze',
    { preHandler: deps.role('admin') },
    async (req, reply) => {
      const body = await parseOr400(unfreezeBody, req.body, reply);
      if (!body) return reply;
      return deps.control.unfreeze(req.params.id, req.principal?.identity as string, body.reason);
    },
  );
}
