/** API metrics on a registry passed in (never the global one). */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  requests: Histogram<'method' | 'route' | 'status'>;
  runsStarted: Counter<'runbook' | 'trigger' | 'dry_run'>;
}

/** `inProgress` counts running runs per runbook (from Temporal visibility), read at scrape time. */
export function createApiMetrics(
  registry: Registry,
  inProgress?: () => Promise<Record<string, number>>,
  libraryProblems?: () => number,
): ApiMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'runbook_api_' });
  // These three are gauges named `_total`, which Prometheus naming rules (and promtool) reject.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`runbook_api_${name}`);
  }
  const requests = new Histogram({
    name: 'runbook_api_request_duration_seconds',
    help: 'HTTP API requests, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const runsStarted = new Counter({
    name: 'runbook_api_runs_started_total',
    help: 'Runs started through the API, by runbook, trigger source and dry run.',
    labelNames: ['runbook', 'trigger', 'dry_run'] as const,
    registers: [registry],
  });
  if (libraryProblems) {
    new Gauge({
      name: 'runbook_library_problems',
      help: 'Problems in runbook files that did not load (those runbooks are left out; /readyz names them).',
      registers: [registry],
      collect() {
        this.set(libraryProblems());
      },
    });
  }
  if (inProgress) {
    new Gauge({
      name: 'runbook_runs_in_progress',
      help: 'Runbook runs currently running, by runbook (from Temporal visibility, counted at most every 15 s).',
      labelNames: ['runbook'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const [runbook, n] of Object.entries(await inProgress())) this.set({ runbook }, n);
        } catch {
          // Temporal unreachable: report nothing rather than a stale number.
        }
      },
    });
  }
  return { registry, requests, runsStarted };
}
