/** Reading the runbook library and planning runs. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RunbookLibrary } from '../../runbooks/library';
import { resolveParams } from '../../runbooks/params';
import { planRun } from '../../runbooks/plan';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const planBody = z.object({ params: z.record(z.string(), z.unknown()).default({}) }).strict();

export function runbookRoutes(
  app: FastifyInstance,
  deps: { library: () => RunbookLibrary; role: (r: 'viewer' | 'operator') => ReturnType<typeof requireRole> },
): void {
  app.get('/v1/runbooks', { preHandler: deps.role('viewer') }, async () => {
    const lib = deps.library();
    return {
      runbooks: [...lib.runbooks.values()].map((rb) => ({
        id: rb.id,
        title: rb.title,
        description: rb.description,
        version: rb.version,
        tags: rb.tags,
        params: rb.params,
        file: lib.files.get(rb.id),
      })),
    };
  });

  app.get<{ Params: { id: string } }>('/v1/runbooks/:id', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const lib = deps.library();
    const rb = lib.runbooks.get(req.params.id);
    if (!rb) return reply.code(404).send({ error: `no runbook '${req.params.id}'`, field: 'id' });
    return { ...rb, file: lib.files.get(rb.id) };
  });

  app.post<{ Params: { id: string } }>(
    '/v1/runbooks/:id/plan',
    { preHandler: deps.role('viewer') },
    async (req, reply) => {
      const rb = deps.library().runbooks.get(req.params.id);
      if (!rb) return reply.code(404).send({ error: `no runbook '${req.params.id}'`, field: 'id' });
      const body = await parseOr400(planBody, req.body, reply);
      if (!body) return reply;
      const r = resolveParams(rb.params, body.params);
      if ('errors' in r) {
        const e = r.errors[0] as { field: string; message: string };
        return reply
          .code(400)
          .send({ error: r.errors.map((x) => `${x.field}: ${x.message}`).join('; '), field: e.field });
      }
      return planRun(rb, r.params);
    },
  );
}
