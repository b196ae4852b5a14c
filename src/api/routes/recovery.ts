/**
 * Backups, restore verifications and DR failovers: the plans, a run started by the caller (who
 * it is comes from the token, never the body), and a run's report. A failover's approval goes
 * through `POST /v1/runs/:id/approvals` like any run's (step `failover`).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../config/schema';
import type { RecoveryKind, RecoveryService } from '../../runs/recovery';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const startBody = z
  .object({ reason: z.string().max(500).optional(), via: z.enum(['api', 'cli']).default('api') })
  .strict()
  .default({ via: 'api' });
// A PITR failover's last safe point (checked against its plan by the kind: the field is named in a 400).
const failoverBody = z
  .object({
    reason: z.string().max(500).optional(),
    via: z.enum(['api', 'cli']).default('api'),
    pointInTime: z.string().max(40).optional(),
  })
  .strict()
  .default({ via: 'api' });
const reportQuery = z.object({ format: z.enum(['json', 'markdown', 'svg']).default('json') }).strict();

export function recoveryRoutes(
  app: FastifyInstance,
  deps: { recovery: RecoveryService; role: (r: Role) => ReturnType<typeof requireRole> },
): void {
  const { recovery } = deps;
  app.get('/v1/recovery/plans', { preHandler: deps.role('viewer') }, async () => recovery.plans());

  const starter = (path: string, kind: RecoveryKind, drill = false) =>
    app.post<{ Params: { plan: string } }>(path, { preHandler: deps.role('operator') }, async (req, reply) => {
      const body: z.infer<typeof failoverBody> | undefined = await parseOr400(
        kind === 'dr-failover' && !drill ? failoverBody : startBody,
        req.body ?? {},
        reply,
      );
      if (!body) return reply;
      const started = await recovery.start(
        kind,
        req.params.plan,
        {
          actor: req.principal?.identity as string,
          via: body.via,
          ...(body.reason ? { reason: body.reason } : {}),
        },
        { drill, ...(body.pointInTime !== undefined ? { pointInTime: body.pointInTime } : {}) },
      );
      return reply.code(started.created ? 201 : 200).send(started);
    });
  starter('/v1/backups/:plan/runs', 'backup');
  starter('/v1/backups/:plan/verifications', 'restore-verification');
  starter('/v1/failovers/:plan', 'dr-failover');
  starter('/v1/failovers/:plan/drills', 'dr-failover', true);

  app.get<{ Params: { id: string } }>(
    '/v1/recovery/runs/:id',
    { preHandler: deps.role('viewer') },
    async (req, reply) => {
      const q = await parseOr400(reportQuery, req.query, reply, 'query');
      if (!q) return reply;
      const r = await recovery.report(req.params.id);
      if (q.format === 'svg') {
        if (!r.svg)
          return reply
            .code(404)
            .send({ error: 'only a failover with a report has a timeline picture', field: 'format' });
        return reply.type('image/svg+xml').send(r.svg);
      }
      if (q.format === 'markdown') {
        if (!r.markdown)
          return reply.code(404).send({ error: 'only a failover with a report has a Markdown form', field: 'format' });
        return reply.type('text/markdown; charset=utf-8').send(r.markdown);
      }
      return r;
    },
  );
}
