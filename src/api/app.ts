/**
 * The HTTP API, built apart from `listen` so tests drive it with `inject`.
 * Errors are JSON `{ error, field? }`: 400 bad input, 401/403 auth, 404 unknown, 409 conflict,
 * 503 when Temporal cannot be reached. Callers are authenticated before their body is read.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { TokenEntry } from '../config/load';
import type { Role } from '../config/schema';
import type { RunbookLibrary } from '../runbooks/library';
import { RunError } from '../runs/errors';
import type { RunService } from '../runs/service';
import { authenticateBeforeBody, requireRole } from './auth';
import type { SigningKeys } from '../shared/signed';
import { createApiMetrics } from './metrics';
import { runbookRoutes } from './routes/runbooks';
import { runRoutes } from './routes/runs';
import { devInboxRoutes } from './routes/dev-inbox';
import { freezeRoutes } from './routes/freezes';
import { recoveryRoutes } from './routes/recovery';
import { drillRoutes } from './routes/drills';
import type { DrillService } from '../runs/drills';
import type { RecoveryService } from '../runs/recovery';
import type { ControlService } from '../runs/control';
import type { AlertTrigger } from '../alerts';
import { alertRoutes } from './routes/alerts';
import type { ScheduleService } from '../schedules/service';
import { scheduleRoutes } from './routes/schedules';
import { slackRoutes, type SlackRouteDeps } from './routes/slack';
import { oncallRoutes } from './routes/oncall';
import { incidentRoutes } from './routes/incidents';
import { postmortemRoutes } from './routes/postmortems';
import type { IncidentService } from '../runs/incidents';
import type { PostmortemService } from '../runs/postmortems';
import type { OnCallConfig } from '../shared/oncall';
import { formatProblem } from '../files/problems';
import { installAudit, type AuditEntry } from './audit';
import type { JsonLines } from '../platform/json-lines';

export interface AppDeps {
  runs: RunService;
  /** The kill switch; without it the /v1/freezes routes are not mounted. */
  control?: ControlService;
  /** Alert webhooks; without it the /v1/alerts routes are not mounted. */
  alerts?: AlertTrigger;
  /** Schedules; without it the /v1/schedules routes are not mounted. */
  schedules?: ScheduleService;
  library: () => RunbookLibrary;
  tokens: readonly TokenEntry[];
  registry: Registry;
  /** Running runs per runbook, for the in-progress gauge. */
  inProgress?: () => Promise<Record<string, number>>;
  logger?: boolean;
  /** Mount the development inbox (config api.devInbox). @default false */
  devInbox?: boolean;
  /** The keys API and worker share; the dev inbox's token is derived from them (without them nothing may post). */
  signingKeys?: () => SigningKeys;
  /** Who is on call (config `oncall:`). @default nobody (no rotations) */
  oncall?: OnCallConfig;
  /** Slack requests (config `slack:`); without it the /v1/slack routes are not mounted. */
  slack?: Omit<SlackRouteDeps, 'runs'>;
  /** Incidents; without it the /v1/incidents routes are not mounted. */
  incidents?: IncidentService;
  /** Backups, restore verifications and failovers (absent: their routes answer 404). */
  recovery?: RecoveryService;
  drills?: DrillService;
  /** Postmortems and their action items; without it /v1/postmortems and the tracker webhooks are not mounted. */
  postmortems?: PostmortemService;
  /** The secrets trackers sign their webhooks with (config `tickets.webhooks`). */
  ticketWebhooks?: { github?: Buffer; jira?: Buffer };
  /** The audit log of human actions; without it nothing is audited and /v1/audit is not mounted. */
  audit?: JsonLines<AuditEntry>;
}

const STATUS: Record<RunError['kind'], number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  forbidden: 403,
};

/**
 * Routes not held back while a process is still reaching Temporal at start: those that answer
 * without it, and the alert routes, which journal every delivery and answer 503 themselves.
 */
const NOT_HELD = /^\/(healthz|readyz|metrics)$|^\/v1\/(runbooks|audit|dev\/inbox|alerts|oncall)(\/|$)/;

/** Set by reportTemporalStartup, per app. */
const startupProblems = new WeakMap<FastifyInstance, () => string | undefined>();

/**
 * For a process that listens before it has reached Temporal (it retries at start,
 * src/config/temporal.ts): until `problem` answers undefined, /readyz answers 503 with it, the
 * routes that need Temporal answer 503 at once (rather than after a call's deadline), and /metrics
 * does not ask Temporal for counts.
 */
export function reportTemporalStartup(app: FastifyInstance, problem: () => string | undefined): void {
  startupProblems.set(app, problem);
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 1024 * 1024 });
  const startupProblem = (): string | undefined => startupProblems.get(app)?.();
  const counts = deps.inProgress;
  // Before Temporal was first reached a count would wait out the SDK's retries on every scrape.
  const inProgress = counts && (() => (startupProblem() ? Promise.reject(new Error('not connected yet')) : counts()));
  const metrics = createApiMetrics(deps.registry, inProgress, () => deps.library().problems?.length ?? 0);
  const role = (r: Role) => requireRole(deps.tokens, r);
  authenticateBeforeBody(app);

  // After authentication (onRequest), so a caller without a token still hears 401 first.
  app.addHook('preHandler', async (req, reply) => {
    const starting = startupProblem();
    const route = req.routeOptions.url;
    if (!starting || route === undefined || NOT_HELD.test(route)) return;
    return reply.code(503).send({ error: `not ready yet: Temporal ${starting}` });
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler(async (err, req, reply) => {
    if (err instanceof RunError)
      return reply.code(STATUS[err.kind]).send({ error: err.message, ...(err.field ? { field: err.field } : {}) });
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own: malformed JSON, wrong content type, body too large.
      return reply.code(e.statusCode).send({ error: e.message, field: 'body' });
    }
    req.log.error(err);
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler(async (req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready with invalid runbook files too (the others run); they are named here and counted in
  // runbook_library_problems.
  app.get('/readyz', async (_req, reply) => {
    const problems = (deps.library().problems ?? []).map(formatProblem);
    const named = problems.length ? { runbookProblems: problems } : {};
    const starting = startupProblem();
    if (starting) return reply.code(503).send({ status: 'unavailable', temporal: starting, ...named });
    if (!(await deps.runs.ready()))
      return reply
        .code(503)
        .send({ status: 'unavailable', error: 'Temporal is unreachable', temporal: 'unreachable', ...named });
    return { status: 'ready', ...named };
  });
  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()),
  );

  if (deps.audit) {
    const audit = deps.audit;
    installAudit(app, audit);
    app.get<{ Querystring: { limit?: string } }>('/v1/audit', { preHandler: role('admin') }, async (req, reply) => {
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        return reply.code(400).send({ error: 'limit must be a whole number from 1 to 1000', field: 'limit' });
      return { entries: await audit.newest(limit) };
    });
  }
  runbookRoutes(app, { library: deps.library, role });
  runRoutes(app, { runs: deps.runs, metrics, role });
  oncallRoutes(app, { oncall: deps.oncall ?? { rotations: [], overrides: [] }, role });
  if (deps.incidents) incidentRoutes(app, { incidents: deps.incidents, role });
  if (deps.postmortems) {
    const refusedTicket = new Counter({
      name: 'ticket_webhooks_refused_total',
      help: 'Tracker webhook deliveries refused: bad-signature, malformed',
      labelNames: ['source', 'reason'],
      registers: [deps.registry],
    });
    postmortemRoutes(app, {
      postmortems: deps.postmortems,
      role,
      ...(deps.ticketWebhooks ? { ticketWebhooks: deps.ticketWebhooks } : {}),
      refused: (source, reason) => refusedTicket.inc({ source, reason }),
    });
  }
  if (deps.control) freezeRoutes(app, { control: deps.control, role });
  if (deps.recovery) recoveryRoutes(app, { recovery: deps.recovery, role });
  if (deps.drills) drillRoutes(app, { drills: deps.drills, role });
  if (deps.schedules) scheduleRoutes(app, { schedules: deps.schedules, role });
  if (deps.alerts) alertRoutes(app, { trigger: deps.alerts, registry: deps.registry, role });
  if (deps.slack) {
    const refused = new Counter({
      name: 'slack_requests_refused_total',
      help: 'Slack requests refused: unsigned, stale, bad-signature, replayed, unmapped, forbidden, malformed',
      labelNames: ['reason'],
      registers: [deps.registry],
    });
    slackRoutes(app, {
      runs: deps.runs,
      ...(deps.incidents ? { incidents: deps.incidents } : {}),
      refused: (reason) => refused.inc({ reason }),
      ...deps.slack,
    });
  }
  if (deps.devInbox) devInboxRoutes(app, { role, ...(deps.signingKeys ? { signingKeys: deps.signingKeys } : {}) });
  return app;
}
