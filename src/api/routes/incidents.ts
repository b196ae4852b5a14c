/**
 * Incidents: open, list, show (with the timeline), act (acknowledge, assign a role, escalate,
 * change severity, post an update, resolve, reopen, close, note, flag, run a runbook, add and
 * settle manual tasks) and the MTTR report. Who acts is the caller's token, never the body.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../config/schema';
import type { IncidentService } from '../../runs/incidents';
import { parseDuration } from '../../shared/duration';
import { INCIDENT_ROLES } from '../../shared/incident-messages';
import { SEVERITIES } from '../../shared/severity';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const via = z.enum(['api', 'cli', 'console']).default('api');
const text = (max: number) => z.string().trim().min(1).max(max);
const ms = z
  .string()
  .refine((d) => (parseDuration(d) ?? 0) > 0, 'a duration such as 30m, 4h or 2d')
  .transform((d) => parseDuration(d) as number);

const openBody = z
  .object({
    title: text(200),
    severity: text(40).default('sev3'),
    service: text(200).optional(),
    runbook: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/)
      .optional(),
    security: z.boolean().optional(),
    dataLoss: z.boolean().optional(),
    reason: z.string().max(500).optional(),
    via,
  })
  .strict();

const action = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ack') }).strict(),
  z.object({ kind: z.literal('assign'), role: z.enum(INCIDENT_ROLES), who: text(200) }).strict(),
  z.object({ kind: z.literal('escalate'), level: text(60).optional(), reason: text(500).optional() }).strict(),
  z.object({ kind: z.literal('severity'), severity: z.enum(SEVERITIES), reason: text(500).optional() }).strict(),
  z
    .object({
      kind: z.literal('update'),
      text: text(2000),
      statusPage: z.boolean().optional(),
      status: z.enum(['investigating', 'identified', 'monitoring', 'resolved']).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('resolve'), note: text(2000).optional() }).strict(),
  z.object({ kind: z.literal('reopen'), reason: text(500).optional() }).strict(),
  z.object({ kind: z.literal('close'), note: text(2000).optional() }).strict(),
  z.object({ kind: z.literal('note'), text: text(2000) }).strict(),
  z.object({ kind: z.literal('flag'), flag: z.enum(['security', 'data-loss']) }).strict(),
  z
    .object({
      kind: z.literal('runbook'),
      runbook: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a runbook id'),
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z.object({ kind: z.literal('task'), title: text(500), assignee: text(200), due: ms.optional() }).strict(),
  z.object({ kind: z.literal('task-done'), taskId: text(40), done: z.boolean(), note: text(2000).optional() }).strict(),
]);

const actionBody = z
  .object({
    action,
    via,
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/)
      .optional(),
  })
  .strict();

const listQuery = z
  .object({
    state: z.enum(['triage', 'open', 'acknowledged', 'resolved', 'monitoring', 'closed']).optional(),
    severity: z.enum(SEVERITIES).optional(),
    service: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

const reportQuery = z.object({ since: ms.default(30 * 86_400_000) }).strict();

export function incidentRoutes(
  app: FastifyInstance,
  deps: { incidents: IncidentService; role: (r: Role) => ReturnType<typeof requireRole> },
): void {
  const { incidents } = deps;

  app.post('/v1/incidents', { preHandler: deps.role('operator') }, async (req, reply) => {
    const b = await parseOr400(openBody, req.body, reply);
    if (!b) return reply;
    const started = await incidents.open({
      title: b.title,
      severity: b.severity,
      ...(b.service ? { service: b.service } : {}),
      ...(b.runbook ? { runbook: b.runbook } : {}),
      ...(b.security ? { security: true } : {}),
      ...(b.dataLoss ? { dataLoss: true } : {}),
      ...(b.reason ? { reason: b.reason } : {}),
      actor: req.principal?.identity as string,
      via: b.via,
    });
    return reply.code(started.created ? 201 : 200).send(started);
  });

  app.get('/v1/incidents', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const q = await parseOr400(listQuery, req.query, reply, 'query');
    if (!q) return reply;
    return { incidents: await incidents.list(q) };
  });

  app.get('/v1/incidents/report', { preHandler: deps.role('viewer') }, async (req, reply) => {
    const q = await parseOr400(reportQuery, req.query, reply, 'query');
    if (!q) return reply;
    return incidents.report(q.since);
  });

  app.get<{ Params: { id: string } }>('/v1/incidents/:id', { preHandler: deps.role('viewer') }, async (req) =>
    incidents.get(req.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/incidents/:id/actions',
    { preHandler: deps.role('operator') },
    async (req, reply) => {
      const b = await parseOr400(actionBody, req.body, reply);
      if (!b) return reply;
      const a = b.action;
      const act =
        a.kind === 'task'
          ? { kind: 'task' as const, title: a.title, assignee: a.assignee, ...(a.due ? { dueInMs: a.due } : {}) }
          : a;
      return incidents.act(req.params.id, act, {
        actor: req.principal?.identity as string,
        via: b.via,
        ...(b.requestId ? { requestId: b.requestId } : {}),
      });
    },
  );
}
