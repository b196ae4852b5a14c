/** Schedules: list (viewer), sync with a dry-run diff (admin), pause, resume, trigger, backfill (operator). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../../config/schema';
import type { ScheduleService } from '../../schedules/service';
import type { requireRole } from '../auth';
import { parseOr400 } from '../validation';

const syncBody = z.object({ dryRun: z.boolean().default(false) }).strict();
const noteBody = z.object({ note: z.string().max(500).optional() }).strict();
const emptyBody = z.object({}).strict();
const backfillBody = z
  .object({
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
  })
  .strict();

type Id = { Params: { id: string } };

export function scheduleRoutes(
  app: FastifyInstance,
  deps: { schedules: ScheduleService; role: (r: Role) => ReturnType<typeof requireRole> },
): void {
  const { schedules } = deps;
  const actor = (req: { principal?: { identity: string } }): string => req.principal?.identity as string;

  app.get('/v1/schedules', { preHandler: deps.role('viewer') }, async () => ({ schedules: await schedules.list() }));

  app.post('/v1/schedules/sync', { preHandler: deps.role('admin') }, async (req, reply) => {
    const body = await parseOr400(syncBody, req.body, reply);
    if (!body) return reply;
    // The runs of what this sync creates or changes act for the admin: they cannot approve them.
    return schedules.sync({ dryRun: body.dryRun, actor: actor(req) });
  });

  app.post<Id>('/v1/schedules/:id/pause', { preHandler: deps.role('operator') }, async (req, reply) => {
    const body = await parseOr400(noteBody, req.body, reply);
    if (!body) return reply;
    return schedules.pause(req.params.id, {
      ...(body.note !== undefined ? { note: body.note } : {}),
      actor: actor(req),
    });
  });

  app.post<Id>('/v1/schedules/:id/resume', { preHandler: deps.role('operator') }, async (req, reply) => {
    const body = await parseOr400(noteBody, req.body, reply);
    if (!body) return reply;
    return schedules.resume(req.params.id, {
      ...(body.note !== undefined ? { note: body.note } : {}),
      actor: actor(req),
    });
  });

  app.post<Id>('/v1/schedules/:id/trigger', { preHandler: deps.role('operator') }, async (req, reply) => {
    if (!(await parseOr400(emptyBody, req.body, reply))) return reply;
    return reply.code(202).send(await schedules.trigger(req.params.id, actor(req)));
  });

  app.post<Id>('/v1/schedules/:id/backfill', { preHandler: deps.role('operator') }, async (req, reply) => {
    const body = await parseOr400(backfillBody, req.body, reply);
    if (!body) return reply;
    // Window rules (end after start, at most 31 days, in the past) are the service's: 400 naming `end`.
    return reply
      .code(202)
      .send(
        await schedules.backfill(req.params.id, { start: new Date(body.start), end: new Date(body.end) }, actor(req)),
      );
  });
}
