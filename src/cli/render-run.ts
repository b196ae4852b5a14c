/** Human forms of a run: the `status` page, the `runs` table and the progress lines of `start --wait`. */
import type { RunDetail, RunSummary } from '../runs/service';
import { FINAL_PHASES, type RunStatus, type StepStatus } from '../shared/status';
import { assignments, keyValues, table } from './format';

export function stepResult(s: StepStatus): string {
  if (s.error) return `error${s.error.type ? ` ${s.error.type}` : ''}: ${s.error.message}`;
  return s.outputSummary ?? s.note ?? '';
}

export function stepTable(steps: StepStatus[]): string {
  return table(
    ['step', 'kind', 'state', 'attempts', 'result'],
    steps.map((s) => [s.id, s.action ?? s.kind, s.state, s.attempts, stepResult(s)]),
    { maxCell: 100 },
  );
}

/** How to decide on a waiting step, shown next to it. */
export function decideHint(workflowId: string, stepId: string): string {
  return `decide with: runbook approve ${workflowId} ${stepId}   or: runbook reject ${workflowId} ${stepId}`;
}

export function renderDetail(d: RunDetail): string {
  const r = d.run;
  const head = keyValues([
    ['workflow', d.workflowId],
    ['runbook', r ? `${r.runbook.id}: ${r.runbook.title} (version ${r.runbook.version})` : undefined],
    ['phase', r ? `${r.phase}${r.dryRun ? ' (dry run)' : ''}` : 'unknown: no worker answered the status query'],
    ['execution', d.status],
    ['params', r ? assignments(r.params) || '(none)' : undefined],
    [
      'trigger',
      r
        ? `${r.trigger.source} by ${r.trigger.requestedBy}${r.trigger.reason ? `: ${r.trigger.reason}` : ''}`
        : undefined,
    ],
    ['started', d.startTime],
    ['closed', d.closeTime],
    [
      'error',
      r?.error
        ? `${r.error.stepId ? `step '${r.error.stepId}': ` : ''}${r.error.message}${r.error.type ? ` [${r.error.type}]` : ''}`
        : undefined,
    ],
    ['web ui', d.url],
  ]);
  if (!r) return head;
  const parts = [head, stepTable(r.steps)];
  if (r.alert) {
    const a = r.alert;
    parts.push(
      `ALERT\n${keyValues([
        ['alert', `${a.labels.alertname ?? a.fingerprint} from ${a.source} (route ${a.route})`],
        ['status', `${a.status}${a.resolvedAt ? ` at ${a.resolvedAt}` : ''}`],
        ['seen', `${a.notifications} notification(s), first ${a.firstSeenAt}, last ${a.lastSeenAt}`],
        ['labels', assignments(a.labels)],
        ['summary', a.annotations.summary],
        ...a.links.map((l): [string, string] => [l.name, l.url]),
      ])}`,
    );
  }
  if (r.pendingApprovals.length) {
    const rows = r.pendingApprovals.map((a) => [
      a.stepId,
      `${(a.approvals ?? []).length}/${a.required ?? 1}${a.retroactive ? ' (retroactive)' : ''}`,
      Array.isArray(a.allowed) ? a.allowed.join(',') : (a.allowed ?? 'any approver'),
      a.deadline ?? '',
      a.message,
    ]);
    const guards = r.pendingApprovals.flatMap((a) =>
      (a.guards ?? []).map((g) => `  covers ${g.stepId} (${g.action}): ${JSON.stringify(g.inputs)}`),
    );
    parts.push(
      `PENDING APPROVALS\n${table(['step', 'approvals', 'allowed', 'deadline', 'message'], rows)}${guards.length ? `\n${guards.join('\n')}` : ''}\n${r.pendingApprovals.map((a) => decideHint(d.workflowId, a.stepId)).join('\n')}`,
    );
  }
  if ((r.pendingStepDecisions ?? []).length) {
    const rows = r.pendingStepDecisions.map((p) => [p.stepId, p.error.message, p.deadline]);
    parts.push(
      `PAUSED STEPS\n${table(['step', 'error', 'deadline'], rows)}\n${r.pendingStepDecisions.map((p) => `decide with: runbook retry|skip|abort ${d.workflowId} ${p.stepId} [-m reason]`).join('\n')}`,
    );
  }
  if (r.decisions.length) {
    const rows = r.decisions.map((x) => [x.stepId, x.decision, x.actor, x.via, x.at, x.comment ?? '']);
    parts.push(`DECISIONS\n${table(['step', 'decision', 'by', 'via', 'at', 'comment'], rows)}`);
  }
  return parts.join('\n\n');
}

export function renderRuns(runs: RunSummary[]): string {
  if (runs.length === 0) return 'no runs';
  const rows = runs.map((r) => [
    r.workflowId,
    r.runbookId,
    r.phase,
    r.service,
    r.status,
    r.startTime,
    r.requestedBy,
    r.triggerSource,
  ]);
  return table(['workflow id', 'runbook', 'phase', 'service', 'execution', 'started', 'by', 'via'], rows);
}

/** Lines describing what changed between two looks at a run (for `start --wait`). */
export function progressLines(workflowId: string, before: RunStatus | null, now: RunStatus): string[] {
  const lines: string[] = [];
  // A new phase leads what it caused, except the last one, which follows the steps that led to it.
  const phase = before?.phase !== now.phase ? `phase ${now.phase}` : undefined;
  if (phase && !FINAL_PHASES.has(now.phase)) lines.push(phase);
  const old = new Map((before?.steps ?? []).map((s) => [s.id, s]));
  for (const s of now.steps) {
    const o = old.get(s.id);
    const changed = o ? o.state !== s.state || o.attempts !== s.attempts : s.state !== 'pending';
    if (!changed) continue;
    const result = s.state === 'running' ? '' : stepResult(s);
    lines.push(
      `step ${s.id} ${s.state}${s.attempts > 1 ? ` (attempt ${s.attempts})` : ''}${result ? `: ${result}` : ''}`,
    );
  }
  const waiting = new Set((before?.pendingApprovals ?? []).map((a) => a.stepId));
  for (const a of now.pendingApprovals) {
    if (waiting.has(a.stepId)) continue;
    lines.push(`approval needed on step ${a.stepId}: ${a.message}`, `  ${decideHint(workflowId, a.stepId)}`);
  }
  if (phase && FINAL_PHASES.has(now.phase)) lines.push(phase);
  return lines;
}
