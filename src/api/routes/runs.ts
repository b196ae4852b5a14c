/** Starting, listing, reading, deciding on and cancelling runs. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RunService } from '../../runs/service';
import type { ApiMetrics } from '../metrics';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';
import type { Role } from '../../config/schema';

const startBody = z
  .object({
    runbook: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    dryRun: z.boolean().default(false),
    idempotencyKey: z.string().min(1).max(200).optional(),
    reason: z.string().max(500).optional(),
    /**
     * An emergency change: approval steps that allow it take one approval now, the rest afterwards.
     * Only for whom the runbook's `emergency.requesters` names (403 otherwise, audited as refused).
     */
    emergency: z.boolean().default(false),
    /** Which client sent it (the CLI says 'cli'); identity still comes from the token. */
    via: z.enum(['api', 'cli']).default('api'),
  })
  .strict();

const listQuery = z
  .object({
    runbook: z.string().optional(),
    phase: z.string().optional(),
    service: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

const stepDecisionBody = z
  .object({
    stepId: z.string().min(1),
    action: z.enum(['retry', 'skip', 'abort']),
    reason: z.string().max(2000).optional(),
    via: z.enum(['api', 'cli']).default('api'),
  })
  .strict()
  .refine((b) => b.action !== 'skip' || (b.reason ?? '').trim() !== '', {
    message: 'skipping a step needs a reason',
    path: ['reason'],
  });

const taskBody = z
  .object({
    stepId: z.string().min(1),
    done: z.boolean(),
    note: z.string().max(2000).optional(),
    via: z.enum(['api', 'cli']).default('api'),
  })
  .strict()
  .refine((b) => b.done || (b.note ?? '').trim() !== '', {
    message: 'a task not done needs a note saying why',
    path: ['note'],
  });

const decisionBody = z
  .object({
    stepId: z.string().min(1),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
    via: z.enum(['api', 'cli']).default('api'),
  })
  .strict();

export function runRoutes(
  app: FastifyInstance,
  deps: { runs: RunService; metrics: ApiMetrics; role: (r: Role) => ReturnType<typeof requireRole> },
): void {
  const { runs } = deps;

  app.post('/v1/runs', { preHandler: deps.role('operator') }, async (req, reply) => {
    const body = await parseOr400(startBody, req.body, reply);
    if (!body) return reply;
    const actor = req.principal?.identity as string;
    const started = await runs.start({
      runbookId: body.runbook,
      params: body.params,
      dryRun: body.dryRun,
      ...(body.idempotencyKey ? { idempotencyKey: body.idempotencyKey } : {}),
      ...(body.reason ? { reason: body.reason } : {}),
      ...(body.emergency ? { emergency: true } : {}),
      trigger: { source: body.via, requestedBy: actor },
    });
    if (started.created)
      deps.metrics.runsStarted.inc({ runbook: body.runbook, trigger: body.via, dry_run: String(body.dryRun) });
    return reply.code(started.created ? 201 : 200).send(started);
  });

  app.get('/v1/runs', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const q = await parseOr400(listQuery, req.query, reply, 'query');
    if (!q) return reply;
    return { runs: await runs.list(q) };
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id', { preHandler: deps.role('viewer') }, async (req) =>
    runs.get(req.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/runs/:id/approvals',
    { preHandler: deps.role('approver') },
    async (req, reply) => {
      const body = await parseOr400(decisionBody, req.body, reply);
      if (!body) return reply;
      return runs.decide(req.params.id, {
        stepId: body.stepId,
        decision: body.decision,
        ...(body.comment ? { comment: body.comment } : {}),
        actor: req.principal?.identity as string,
        via: body.via,
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/runs/:id/steps',
    { preHandler: deps.role('operator') },
    async (req, reply) => {
      const body = await parseOr400(stepDecisionBody, req.body, reply);
      if (!body) return reply;
      return runs.decideStep(req.params.id, {
        stepId: body.stepId,
        action: body.action,
        ...(body.reason ? { reason: body.reason } : {}),
        actor: req.principal?.identity as string,
        via: body.via,
      });
    },
  );

  // A manual step done or not done. The run checks who: its assignee (or a member of its group),
  // or any operator where the step says `anyone: true`.
  app.post<{ Params: { id: string } }>(
    '/v1/runs/:id/tasks',
    { preHandler: deps.role('operator') },
    async (req, reply) => {
      const body = await parseOr400(taskBody, req.body, reply);
      if (!body) return reply;
      return runs.decideTask(req.params.id, {
        stepId: body.stepId,
        done: body.done,
        ...(body.note?.trim() ? { note: body.note.trim() } : {}),
        actor: req.principal?.identity as string,
        via: body.via,
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/runs/:id/cancel',
    { preHandler: deps.role('operator') },
    async (req, reply) => {
      await runs.cancel(req.params.id);
      return reply.code(202).send({ workflowId: req.params.id, cancelRequested: true, by: req.principal?.identity });
    },
  );
}
