/**
 * A failover report as Markdown (for the ticket, the postmortem, the drill archive) and its
 * RTO and RPO worked out from what the run measured. Pure: the workflow, the API and the CLI
 * render the same text.
 */
import type { FailoverPlanDefinition, FailoverReport } from './failover';

const secs = (s: number | null | undefined): string =>
  s === null || s === undefined
    ? 'unknown'
    : s >= 3600
      ? `${(s / 3600).toFixed(2)} h`
      : s >= 60
        ? `${(s / 60).toFixed(1)} min`
        : `${s.toFixed(1)} s`;

/** RTO: start to a validated standby, the approval wait excluded. */
export function rtoOf(
  r: FailoverReport,
  plan: FailoverPlanDefinition,
  validatedAt: number,
): NonNullable<FailoverReport['rto']> {
  const seconds = Math.max(0, (validatedAt - Date.parse(r.startedAt) - (r.approval?.waitMs ?? 0)) / 1000);
  const objectiveSeconds = plan.objectives.rtoMs / 1000;
  return { seconds: Math.round(seconds * 1000) / 1000, objectiveSeconds, met: seconds <= objectiveSeconds };
}

/**
 * RPO: the rows the integrity probes lost (where the primary answered before), and the seconds:
 * none lost for a caught-up standby of a live primary, else at most the standby's replay delay.
 */
export function rpoOf(r: FailoverReport, plan: FailoverPlanDefinition): NonNullable<FailoverReport['rpo']> {
  const objectiveSeconds = plan.objectives.rpoMs / 1000;
  const known = r.integrity.filter((i) => i.lost !== null);
  const probed = r.integrity.length > 0 && known.length === r.integrity.length;
  const a = r.assessment;
  const out = (
    rows: number | null,
    seconds: number | null,
    basis: NonNullable<FailoverReport['rpo']>['basis'],
  ): NonNullable<FailoverReport['rpo']> => ({
    rows,
    seconds,
    objectiveSeconds,
    met: rows === 0 ? true : seconds !== null ? seconds <= objectiveSeconds : null,
    basis,
  });
  if (probed)
    return out(
      known.reduce((n, i) => n + (i.lost ?? 0), 0),
      a?.lagBytes === 0 ? 0 : null,
      'probes',
    );
  // Restored from a backup: what is lost is everything after its snapshot.
  if (r.restored) return out(null, r.restored.backupAgeSeconds, 'backup-age');
  // Recovered from the archive: the writes between its last commit and the failover's start.
  const last = r.recovered?.reachedTime ?? r.recovered?.baseConsistentAt;
  if (r.recovered && last)
    return out(null, Math.max(0, Math.round((Date.parse(r.startedAt) - Date.parse(last)) / 100) / 10), 'wal-archive');
  if (r.promoted && plan.replication === 'sync') return out(0, 0, 'synchronous-standby');
  if (a?.primaryReachable && a.lagBytes === 0) return out(null, 0, 'probes');
  if (a && !a.primaryReachable && a.replayDelaySeconds !== null) return out(null, a.replayDelaySeconds, 'replay-delay');
  return out(null, null, 'none');
}

const RPO_BASIS: Record<NonNullable<FailoverReport['rpo']>['basis'], string> = {
  probes: 'the integrity probes, read on the primary before and on the new primary after',
  'synchronous-standby': 'a synchronous standby (every acknowledged commit was on it)',
  'replay-delay': 'the standby’s replay delay when the primary was gone (an upper bound)',
  'backup-age': 'the restored backup’s age (everything after its snapshot)',
  'wal-archive': 'the last commit recovered from the WAL archive, to the failover’s start (an upper bound)',
  none: 'nothing measurable',
};

export function failoverMarkdown(r: FailoverReport): string {
  const lines = [
    `# DR failover ${r.plan}: ${r.outcome}`,
    '',
    `Tier ${r.tier}. Started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ''}.`,
    '',
    '| objective | achieved | target | met |',
    '|---|---|---|---|',
    `| RTO | ${secs(r.rto?.seconds)} | ${secs(r.rto?.objectiveSeconds ?? null)} | ${r.rto ? (r.rto.met ? 'yes' : 'NO') : '-'} |`,
    `| RPO | ${r.rpo?.rows !== null && r.rpo?.rows !== undefined ? `${r.rpo.rows} rows lost` : `at most ${secs(r.rpo?.seconds)} of writes`} | ${secs(r.rpo?.objectiveSeconds ?? null)} | ${r.rpo?.met === true ? 'yes' : r.rpo?.met === false ? 'NO' : 'not measurable'} |`,
    '',
    `RPO from: ${RPO_BASIS[r.rpo?.basis ?? 'none']}.`,
    '',
    '## Phases',
    '',
    '| phase | started | took |',
    '|---|---|---|',
    ...r.phases.map(
      (p) => `| ${p.name} | ${p.startedAt} | ${p.durationMs === undefined ? '-' : secs(p.durationMs / 1000)} |`,
    ),
  ];
  if (r.assessment)
    lines.push(
      '',
      '## Assessment',
      '',
      `- primary: ${r.assessment.primaryReachable ? 'answered' : `unreachable (${r.assessment.primaryError ?? 'no answer'})`}`,
      `- standby: ${r.assessment.standbyInRecovery ? 'in recovery' : 'NOT in recovery'}; lag ${r.assessment.lagBytes ?? 'unknown'} bytes; last replayed commit ${secs(r.assessment.replayDelaySeconds)} before`,
    );
  if (r.restored)
    lines.push(
      `- restored: backup ${r.restored.backupId} (data as of ${r.restored.snapshotAt}, ${secs(r.restored.backupAgeSeconds)} old), ${r.restored.tables} tables proved, in ${secs(r.restored.durationMs / 1000)}`,
    );
  if (r.recovered)
    lines.push(
      `- recovered: cluster ${r.recovered.cluster} from base backup ${r.recovered.backupId} and ${r.recovered.segmentsRestored} WAL segments to ${r.recovered.targetTime === 'latest' ? 'the end of the archive' : r.recovered.targetTime} (last commit ${r.recovered.reachedTime ?? 'none after the base backup'}), in ${secs(r.recovered.durationMs / 1000)}`,
    );
  if (r.promoted)
    lines.push(
      `- promoted: timeline ${r.promoted.timeline} at ${r.promoted.lsn} in ${secs(r.promoted.durationMs / 1000)}`,
    );
  if (r.smoke.length || r.integrity.length) {
    lines.push('', '## Validation', '');
    for (const s of r.smoke) lines.push(`- smoke ${s.name}: ${s.ok ? `ok (${s.rows} rows)` : `FAILED: ${s.error}`}`);
    for (const i of r.integrity)
      lines.push(
        `- integrity ${i.name}: before ${i.before ?? 'unknown'}, after ${i.after ?? 'unknown'}${i.lost !== null ? `, ${i.lost} lost` : ''}${i.error ? ` (${i.error})` : ''}`,
      );
  }
  if (r.compensations.length) lines.push('', '## Undone', '', ...r.compensations.map((c) => `- ${c}`));
  if (r.error) lines.push('', '## Error', '', `${r.error.phase ?? ''}: ${r.error.message}`);
  lines.push(
    '',
    '## Timeline',
    '',
    ...r.events.map((e) => `- ${e.at} [${e.phase}] ${e.ok ? '' : 'FAILED: '}${e.what}`),
  );
  return lines.join('\n') + '\n';
}
