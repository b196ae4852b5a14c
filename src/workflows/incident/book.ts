/**
 * The incident's book: its record (state, roles, severity, timeline), its runbooks, tasks and
 * cadence, what it answers to the `incident` query, and its search attributes (IncidentId,
 * Severity, Service, and the state as Phase), written only when they change. Everything a
 * continued run needs is in `carry()`, all of it bounded.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { SA } from '../../shared/constants';
import {
  accounting,
  record,
  timelineMarkdown,
  type IncidentRecord,
  type IncidentState,
  type TimelineKind,
} from '../../shared/incident';
import type {
  CadenceState,
  ChildRunbook,
  IncidentCarry,
  IncidentParams,
  IncidentStatus,
  ManualTaskState,
} from '../../shared/incident-messages';
import type { PageStep } from '../../shared/paging-plan';
import type { UnverifiedNote } from '../../shared/status';

/** Runbooks an incident keeps a record of (the oldest finished ones go first). */
const CHILDREN_MAX = 50;
const TASKS_MAX = 100;
/** Timeline entries shown in the Web UI's current details (the query and `show` have them all). */
const DETAILS_ENTRIES = 40;

/** `INC-20261201-174312-ab12`: the opening time and the first run's id, readable and unique. */
export function incidentIdOf(openedAtMs: number, firstRunId: string): string {
  const t = new Date(openedAtMs).toISOString().replace(/[-:]/g, '');
  return `INC-${t.slice(0, 8)}-${t.slice(9, 15)}-${firstRunId.replace(/-/g, '').slice(0, 4)}`;
}

export class IncidentBook {
  readonly record: IncidentRecord;
  children: ChildRunbook[];
  tasks: ManualTaskState[];
  cadence: CadenceState;
  notes: UnverifiedNote[];
  postmortem?: string;
  /** Messages sent so far: each its own idempotency key (`<workflow>/<kind>-<n>`), across continued runs. */
  events: number;
  openedBy: string;
  private written = '';

  constructor(c: IncidentCarry) {
    this.record = c.record;
    this.children = c.children;
    this.tasks = c.tasks;
    this.cadence = c.cadence;
    this.notes = c.notes;
    if (c.postmortem) this.postmortem = c.postmortem;
    this.events = c.events;
    this.openedBy = c.openedBy;
  }

  /** A new incident's first carry: opened now, in triage. */
  static opening(p: IncidentParams, openedBy: string, detectedAt?: string): IncidentCarry {
    const info = workflowInfo();
    const now = Date.now();
    return {
      record: {
        id: incidentIdOf(now, info.firstExecutionRunId),
        title: p.title,
        ...(p.service ? { service: p.service } : {}),
        severity: p.severity,
        state: 'triage',
        ...(detectedAt ? { detectedAt } : {}),
        openedAt: new Date(now).toISOString(),
        roles: {},
        approvalWaitMs: 0,
        timeline: [],
        dropped: 0,
      },
      paged: [],
      levels: [],
      children: [],
      tasks: [],
      cadence: { reminded: 0, overdue: 0 },
      alertsSeen: [],
      events: 0,
      openedBy,
      notes: [],
    };
  }

  /** One entry on the timeline, now; wakes the loops. */
  add(kind: TimelineKind, by: string, text: string, human: boolean): void {
    record(this.record, { at: new Date().toISOString(), kind, by, text, human });
    this.touch();
  }

  touch(): void {
    this.writeAttributes();
    this.details();
  }

  /** The Web UI's current details: the incident's facts and its latest timeline, in Markdown (a few µs). */
  private details(): void {
    const r = this.record;
    const shown = {
      ...r,
      timeline: r.timeline.slice(-DETAILS_ENTRIES),
      dropped: r.dropped + Math.max(0, r.timeline.length - DETAILS_ENTRIES),
    };
    setCurrentDetails(
      `${timelineMarkdown(shown)}\nState: **${r.state}**. Act on it with \`runbook incidents\` (\`show ${r.id}\` for everything).`,
    );
  }

  setState(state: IncidentState): void {
    this.record.state = state;
    this.touch();
  }

  open(): boolean {
    return this.record.state !== 'resolved' && this.record.state !== 'monitoring' && this.record.state !== 'closed';
  }

  nextEvent(kind: string): string {
    return `${kind}-${++this.events}`;
  }

  addChild(c: ChildRunbook): void {
    this.children.push(c);
    while (this.children.length > CHILDREN_MAX) {
      const i = this.children.findIndex((x) => x.state !== 'running');
      if (i < 0) break;
      this.children.splice(i, 1);
    }
    this.touch();
  }

  addTask(t: ManualTaskState): void {
    if (this.tasks.length >= TASKS_MAX) throw new TypeError(`an incident keeps at most ${TASKS_MAX} tasks`);
    this.tasks.push(t);
    this.touch();
  }

  /** The search attributes, written when they differ from the last written. */
  private writeAttributes(): void {
    const r = this.record;
    const now = JSON.stringify([r.id, r.state, r.severity, r.service ?? ''] as const);
    if (now === this.written) return;
    this.written = now;
    upsertSearchAttributes([
      { key: SA.incidentId, value: r.id },
      { key: SA.phase, value: r.state },
      { key: SA.severity, value: r.severity },
      ...(r.service ? [{ key: SA.service, value: r.service }] : []),
    ]);
  }

  status(plan: PageStep[], paged: string[], next: { stakeholders?: number; statusPage?: number }): IncidentStatus {
    const iso = (ms?: number): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    const s = iso(next.stakeholders);
    const sp = iso(next.statusPage);
    return {
      record: this.record,
      accounting: accounting(this.record),
      plan,
      paged,
      children: this.children,
      tasks: this.tasks,
      cadence: { ...this.cadence, ...(s ? { nextStakeholdersAt: s } : {}), ...(sp ? { nextStatusPageAt: sp } : {}) },
      ...(this.postmortem ? { postmortem: this.postmortem } : {}),
      notes: this.notes,
    };
  }

  carry(paged: string[], levels: string[], alertsSeen: string[]): IncidentCarry {
    return {
      record: this.record,
      paged,
      levels,
      children: this.children,
      tasks: this.tasks,
      cadence: this.cadence,
      ...(this.postmortem ? { postmortem: this.postmortem } : {}),
      alertsSeen,
      events: this.events,
      openedBy: this.openedBy,
      notes: this.notes,
    };
  }
}
