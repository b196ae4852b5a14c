/** Markdown the Web UI shows for a run: a summary at start and the live step table. */
import type { RunbookDefinition, ParamValue, TriggerInfo } from './model';
import type { RunStatus } from './status';

function cell(text: string | undefined): string {
  return (text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderDetails(s: RunStatus): string {
  const rows = s.steps.map(
    (st) =>
      `| ${st.state === 'waiting' || st.state === 'failed' ? `**${st.state}**` : st.state} | ${cell(st.id)} | ${cell(st.action ?? st.kind)}${st.mutating ? ' (mutating)' : ''} | ${st.attempts} | ${cell(st.error?.message ?? st.note ?? st.outputSummary)} |`,
  );
  const approvals = s.pendingApprovals.map(
    (a) => `- **${cell(a.stepId)}** waits for approval${a.deadline ? ` until ${a.deadline}` : ''}: ${cell(a.message)}`,
  );
  const a = s.alert;
  const alert = a
    ? [
        '',
        `**Alert** ${cell(a.labels.alertname ?? a.fingerprint)} from ${a.source} (route ${cell(a.route)}): **${a.status}**${a.resolvedAt ? ` at ${a.resolvedAt}` : ''}; ${a.notifications} notification(s), last ${a.lastSeenAt}`,
        ...(a.annotations.summary ? [`> ${cell(a.annotations.summary)}`] : []),
        `Labels: ${Object.entries(a.labels)
          .map(([k, v]) => `\`${cell(k)}=${cell(v)}\``)
          .join(' ')}`,
        ...(a.links.length ? [`Links: ${a.links.map((l) => `[${cell(l.name)}](${l.url})`).join(' · ')}`] : []),
      ]
    : [];
  return [
    `**${cell(s.runbook.title)}** (\`${s.runbook.id}\` ${s.runbook.version}) — phase **${s.phase}**${s.dryRun ? ' — DRY RUN' : ''}`,
    '',
    '| state | step | action | attempts | result |',
    '|---|---|---|---|---|',
    ...rows,
    ...(approvals.length ? ['', ...approvals] : []),
    ...(s.error ? ['', `**Error** in ${s.error.stepId ?? 'run'}: ${cell(s.error.message)}`] : []),
    ...alert,
  ].join('\n');
}

/** One line for the Web UI's run list. */
export function staticSummary(
  rb: Pick<RunbookDefinition, 'id' | 'title'>,
  params: Record<string, ParamValue>,
  dryRun: boolean,
): string {
  const p = Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `${dryRun ? '[dry run] ' : ''}${rb.title} (${rb.id})${p ? ` ${p}` : ''}`.slice(0, 390);
}

export function staticDetails(rb: RunbookDefinition, params: Record<string, ParamValue>, trigger: TriggerInfo): string {
  return [
    `### ${rb.title}`,
    rb.description,
    '',
    `Runbook \`${rb.id}\` version ${rb.version}; started by ${trigger.requestedBy} via ${trigger.source}${trigger.reason ? `: ${trigger.reason}` : ''}.`,
    '',
    ...Object.entries(params).map(([k, v]) => `- ${k}: \`${String(v)}\``),
  ]
    .join('\n')
    .slice(0, 19_000);
}
