/**
 * Incident metrics (seeds 002 and 004), from the incident workflows' sinks: incidents opened,
 * acknowledged and resolved by severity and service, with MTTA and MTTR as histograms;
 * escalations by level; communication updates that came due unsent; postmortems, reports and
 * action items past due.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { InjectedSinks } from '@temporalio/worker';
import type { IncidentMetricsSinks, PostmortemMetricsSinks } from '../shared/sinks';

const MINUTES = [60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600];

export function incidentMetricSinks(registry: Registry): InjectedSinks<IncidentMetricsSinks & PostmortemMetricsSinks> {
  const opened = new Counter({
    name: 'runbook_incidents_opened_total',
    help: 'Incidents opened, by severity and service.',
    labelNames: ['severity', 'service'] as const,
    registers: [registry],
  });
  const mtta = new Histogram({
    name: 'runbook_incident_time_to_acknowledge_seconds',
    help: 'Time from an incident opening to its first acknowledgement (MTTA), by severity and service.',
    labelNames: ['severity', 'service'] as const,
    buckets: MINUTES,
    registers: [registry],
  });
  const mttr = new Histogram({
    name: 'runbook_incident_time_to_resolve_seconds',
    help: 'Time from an incident opening to its resolution (MTTR), by severity and service.',
    labelNames: ['severity', 'service'] as const,
    buckets: MINUTES,
    registers: [registry],
  });
  const escalated = new Counter({
    name: 'runbook_incident_escalations_total',
    help: 'Escalations of incidents to a level by a person or an event trigger, by severity and level.',
    labelNames: ['severity', 'level'] as const,
    registers: [registry],
  });
  const overdue = new Counter({
    name: 'runbook_incident_updates_overdue_total',
    help: 'Stakeholder and status page updates that came due unsent, by severity and channel.',
    labelNames: ['severity', 'channel'] as const,
    registers: [registry],
  });
  const pmOverdue = new Counter({
    name: 'runbook_postmortem_overdue_total',
    help: 'Postmortem documents, incident reports and action items past their due time, by kind and severity.',
    labelNames: ['kind', 'severity'] as const,
    registers: [registry],
  });
  return {
    postmortemMetrics: { overdue: { fn: (_i, l) => pmOverdue.inc(l), callDuringReplay: false } },
    incidentMetrics: {
      opened: { fn: (_i, l) => opened.inc(l), callDuringReplay: false },
      acknowledged: { fn: (_i, l, s) => mtta.observe(l, s), callDuringReplay: false },
      escalated: { fn: (_i, l) => escalated.inc(l), callDuringReplay: false },
      resolved: { fn: (_i, l, s) => mttr.observe(l, s), callDuringReplay: false },
      updateOverdue: { fn: (_i, l) => overdue.inc(l), callDuringReplay: false },
    },
  };
}
