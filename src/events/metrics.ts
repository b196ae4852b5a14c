/** The publisher's metrics, on the registry it is given (never prom-client's global one). */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface EventMetrics {
  published: Counter;
  dropped: Counter<'reason'>;
  buffered: Gauge;
}

export function eventMetrics(registry: Registry): EventMetrics {
  return {
    published: new Counter({
      name: 'runbook_operational_events_published_total',
      help: 'Operational events sent to Redis (PUBLISH and XADD).',
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'runbook_operational_events_dropped_total',
      help: 'Operational events never sent, by reason: overflow (buffer full while Redis was unreachable), rejected (Redis refused it), invalid (not encodable), closed (unsent at shutdown).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    buffered: new Gauge({
      name: 'runbook_operational_events_buffered',
      help: 'Operational events waiting in memory for Redis.',
      registers: [registry],
    }),
  };
}
