/**
 * Chaos drills: the experiments loaded, a drill started by the caller (who it is comes from the
 * token, never the body), and a drill's report as JSON, Markdown or its timeline picture. A
 * drill's approval goes through `POST /v1/runs/:id/approvals` like any run's (step `drill`).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../config/schema';
import type { DrillService } from '../../runs/drills';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const startBody = z
  .object({ reason: z.string().max(500).optional(), via: z.enum(['api', 'cli']).default('api') })
  .strict()
  .default({ via: 'api' });
const reportQuery = z.object({ format: z.enum(['json', 'markdown', 'svg']).default('json') }).strict();

export function drillRoutes(
  app: FastifyInstance,
  deps: { drills: DrillService; role: (r: Role) => ReturnType<typeof requireRole> },
): void {
  const { drills } = deps;
  app.get('/v1/experiments', { preHandler: deps.role('viewer') }, async () => ({ experiments: drills.experiments() }));

  app.post<{ Params: { experiment: string } }>(
    '/v1/drills/:experiment',
    { preHandler: deps.role('operator') },
    async (req, reply) => {
      const body = await parseOr400(startBody, req.body ?? {}, reply);
      if (!body) return reply;
      const started = await drills.start(req.params.experiment, {
        actor: req.principal?.identity as string,
        via: body.via,
        ...(body.reason ? { reason: body.reason } : {}),
      });
      return reply.code(started.created ? 201 : 200).send(started);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/drills/runs/:id',
    { preHandler: deps.role('viewer') },
    async (req, reply) => {
      const q = await parseOr400(reportQuery, req.query, reply, 'query');
      if (!q) return reply;
      const r = await drills.report(req.params.id);
      if (q.format === 'json') return r;
      const text = q.format === 'svg' ? r.svg : r.markdown;
      if (!text)
        return reply.code(404).send({ error: 'the drill has no report yet (no worker answered)', field: 'format' });
      return reply.type(q.format === 'svg' ? 'image/svg+xml' : 'text/markdown; charset=utf-8').send(text);
    },
  );
}
