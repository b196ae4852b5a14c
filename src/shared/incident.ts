/**
 * An incident's record: its state, roles, severity, and the timeline of everything that
 * happened (alerts, pages, acknowledgements, escalations, runbook steps, updates, decisions,
 * manual tasks) with who and when. The incident workflow keeps one and answers queries with it;
 * at resolution the timeline is exported as the postmortem's starting point (Markdown and JSON),
 * and the accounting of seed 004 (MTTD, MTTA, MTTR...) is computed from it. Pure and bounded.
 */
import type { Severity } from './severity';

export type IncidentState = 'triage' | 'open' | 'acknowledged' | 'resolved' | 'monitoring' | 'closed';

export const TIMELINE_KINDS = [
  'opened',
  'alert',
  'page',
  'acknowledged',
  'escalated',
  'role',
  'severity',
  'runbook',
  'step',
  'update',
  'decision',
  'task',
  'note',
  'resolved',
  'reopened',
  'closed',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  /** Who did it: an identity, or `system` for what the incident did itself. */
  by: string;
  text: string;
  /** Whether a person acted (false for alerts, pages, automated runbook steps). */
  human: boolean;
}

export interface IncidentRecord {
  id: string;
  title: string;
  service?: string;
  severity: Severity;
  state: IncidentState;
  /** When the first alert began firing, if an alert opened it (for MTTD). */
  detectedAt?: string;
  openedAt: string;
  acknowledgedAt?: string;
  /** The first action taken by automation (a runbook's first step), for "time to first automated action". */
  firstAutomatedAt?: string;
  resolvedAt?: string;
  closedAt?: string;
  roles: { commander?: string; communications?: string; scribe?: string };
  /** Milliseconds runs of this incident spent waiting on approvals. */
  approvalWaitMs: number;
  timeline: TimelineEntry[];
  /** Entries dropped from the front when the timeline grew past its bound. */
  dropped: number;
}

/** The most entries kept (the oldest go first, counted): an incident's history must stay small. */
export const TIMELINE_MAX = 2000;
const TEXT_MAX = 500;

/** Adds an entry, bounded in length and count. */
export function record(r: IncidentRecord, e: Omit<TimelineEntry, 'text'> & { text: string }): void {
  r.timeline.push({ ...e, text: e.text.length > TEXT_MAX ? `${e.text.slice(0, TEXT_MAX - 1)}…` : e.text });
  if (r.timeline.length > TIMELINE_MAX) {
    const over = r.timeline.length - TIMELINE_MAX;
    r.timeline.splice(0, over);
    r.dropped += over;
  }
}

/** What seed 004 measures, per incident, in milliseconds (undefined where not yet known). */
export interface IncidentAccounting {
  /** Alert start to incident open. */
  mttdMs?: number;
  /** Open to first acknowledgement. */
  mttaMs?: number;
  /** Open to resolution. */
  mttrMs?: number;
  /** Open to the first action automation took. */
  firstAutomatedMs?: number;
  approvalWaitMs: number;
  /** Resolved with no human action on the timeline between opening and resolution. */
  remediatedWithoutHuman: boolean;
}

const between = (a?: string, b?: string): number | undefined =>
  a !== undefined && b !== undefined ? Math.max(0, Date.parse(b) - Date.parse(a)) : undefined;

export function accounting(r: IncidentRecord): IncidentAccounting {
  const opened = Date.parse(r.openedAt);
  const resolved = r.resolvedAt ? Date.parse(r.resolvedAt) : undefined;
  const humans = r.timeline.some(
    (e) => e.human && Date.parse(e.at) >= opened && (resolved === undefined || Date.parse(e.at) <= resolved),
  );
  const out: IncidentAccounting = {
    approvalWaitMs: r.approvalWaitMs,
    remediatedWithoutHuman: resolved !== undefined && !humans,
  };
  const set = (k: 'mttdMs' | 'mttaMs' | 'mttrMs' | 'firstAutomatedMs', v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('mttdMs', between(r.detectedAt, r.openedAt));
  set('mttaMs', between(r.openedAt, r.acknowledgedAt));
  set('mttrMs', between(r.openedAt, r.resolvedAt));
  set('firstAutomatedMs', between(r.openedAt, r.firstAutomatedAt));
  return out;
}

/** Markdown's control characters in a table cell, made plain. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The timeline as the postmortem starts from it: a heading, the facts, and every entry in a table. */
export function timelineMarkdown(r: IncidentRecord): string {
  const facts = [
    `- **Severity:** ${r.severity}`,
    ...(r.service ? [`- **Service:** ${r.service}`] : []),
    `- **Opened:** ${r.openedAt}`,
    ...(r.acknowledgedAt ? [`- **Acknowledged:** ${r.acknowledgedAt}`] : []),
    ...(r.resolvedAt ? [`- **Resolved:** ${r.resolvedAt}`] : []),
    ...(r.roles.commander ? [`- **Incident commander:** ${r.roles.commander}`] : []),
  ];
  const rows = r.timeline.map((e) => `| ${e.at} | ${e.kind} | ${cell(e.by)} | ${cell(e.text)} |`);
  return [
    `# ${cell(r.title)} (${r.id})`,
    '',
    ...facts,
    '',
    '## Timeline',
    '',
    ...(r.dropped ? [`(${r.dropped} earlier entries were dropped to keep the record small)`, ''] : []),
    '| when (UTC) | what | who | |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** The blameless sections of seed 002, in its order; the postmortem document starts with these. */
export const POSTMORTEM_SECTIONS = [
  'Summary',
  'Impact',
  'Timeline',
  'Root causes',
  'What went well',
  'What to improve',
  'Action items',
] as const;

/** A postmortem draft: the seed's sections, the timeline filled in, the rest for people to write. */
export function postmortemMarkdown(r: IncidentRecord, dueAt?: string): string {
  const a = accounting(r);
  const mins = (ms?: number) => (ms === undefined ? 'n/a' : `${Math.round(ms / 60_000)} min`);
  const timeline = timelineMarkdown(r).split('\n## Timeline\n')[1] ?? '';
  const body: Record<(typeof POSTMORTEM_SECTIONS)[number], string> = {
    Summary: `${cell(r.title)}: ${r.severity}${r.service ? ` on ${r.service}` : ''}, opened ${r.openedAt}${r.resolvedAt ? `, resolved ${r.resolvedAt}` : ''}.`,
    Impact: `Time to detect ${mins(a.mttdMs)}, to acknowledge ${mins(a.mttaMs)}, to resolve ${mins(a.mttrMs)}. _Who and what was affected:_`,
    Timeline: timeline.trim(),
    'Root causes': '_Causes, not culprits (blameless):_',
    'What went well': '',
    'What to improve': '',
    'Action items': '| item | owner | due |\n|---|---|---|',
  };
  return [
    `# Postmortem: ${cell(r.title)} (${r.id})`,
    ...(dueAt ? ['', `Due ${dueAt}.`] : []),
    ...POSTMORTEM_SECTIONS.flatMap((s) => ['', `## ${s}`, '', body[s]]),
    '',
  ].join('\n');
}
