/**
 * The communication cadence (seeds 000, 002, 004): stakeholders hear at the severity's interval,
 * the status page at its own, its first update at once for the worst (within the window for the
 * next). An update is a person's (`update` action) or, for the status page's first and last,
 * the incident's own from the status templates. When one comes due and nobody sent it, the
 * communications lead is reminded with a draft; half an interval later the commander and the
 * manager level hear it is overdue. The next is due an interval after the last sent (or after
 * the one missed). It stops at resolution. One timer at a time.
 */
import { quietCondition } from '../kit/untracked';
import type { IncidentDefinition } from '../../shared/incident-messages';
import type { IncidentBook } from './book';
import type { IncidentSender } from './send';
import { incidentMetrics } from './metrics';

type Channel = 'stakeholders' | 'statusPage';

export class Cadence {
  constructor(
    private readonly def: IncidentDefinition,
    private readonly book: IncidentBook,
    private readonly sender: IncidentSender,
    private readonly people: (level: string) => Promise<string[]>,
  ) {}

  private rules() {
    return this.def.policy.cadence[this.book.record.severity];
  }

  private interval(c: Channel): number | undefined {
    const r = this.rules();
    if (c === 'stakeholders') return this.def.channels.stakeholders ? r.stakeholdersMs : undefined;
    return this.def.channels.statusPage ? r.statusPageMs : undefined;
  }

  private last(c: Channel): number {
    const s = this.book.cadence;
    const at = c === 'stakeholders' ? s.lastStakeholdersAt : s.lastStatusPageAt;
    return Date.parse(at ?? this.book.record.openedAt);
  }

  private reminded(c: Channel): number {
    return (c === 'stakeholders' ? this.book.cadence.reminded : this.book.cadence.statusPageReminded) ?? 0;
  }

  private setReminded(c: Channel, n: number): void {
    if (c === 'stakeholders') this.book.cadence.reminded = n;
    else this.book.cadence.statusPageReminded = n;
  }

  /** When the channel next needs something: the update due, or its escalation. */
  due(c: Channel): number | undefined {
    const every = this.interval(c);
    if (every === undefined) return undefined;
    const base = this.last(c) + every;
    return this.reminded(c) === 0 ? base : base + every / 2;
  }

  /** The status page's first update: due when the window after opening ends. */
  private firstStatusDue(): number | undefined {
    if (!this.def.channels.statusPage || this.book.cadence.lastStatusPageAt) return undefined;
    const within = this.rules().statusPageWithinMs;
    return within === undefined ? undefined : Date.parse(this.book.record.openedAt) + within;
  }

  /** What the query shows as next. */
  next(): { stakeholders?: number; statusPage?: number } {
    const st = this.due('stakeholders');
    const sp = this.firstStatusDue() ?? this.due('statusPage');
    return { ...(st !== undefined ? { stakeholders: st } : {}), ...(sp !== undefined ? { statusPage: sp } : {}) };
  }

  async run(stop: () => boolean): Promise<void> {
    for (;;) {
      if (stop() || !this.book.open()) return;
      const first = this.firstStatusDue();
      const times = [first, this.due('stakeholders'), this.due('statusPage')].filter(
        (t): t is number => t !== undefined,
      );
      if (times.length === 0) {
        await quietCondition(() => stop() || !this.book.open() || this.times() !== times.length);
        continue;
      }
      const at = Math.min(...times);
      // Woken only by what moves a due time (not by every timeline entry: each wake would cancel
      // and start a timer again, in history).
      const seen = this.key();
      if (at > Date.now()) {
        await quietCondition(() => stop() || !this.book.open() || this.key() !== seen, at - Date.now());
        continue;
      }
      if (first !== undefined && first <= Date.now()) await this.statusUpdate('investigating', 'system');
      else if ((this.due('stakeholders') ?? Infinity) <= Date.now()) await this.overdue('stakeholders');
      else await this.overdue('statusPage');
    }
  }

  /** What the due times depend on. */
  private key(): string {
    const r = this.book.record;
    const c = this.book.cadence;
    return `${r.severity}|${r.state}|${c.lastStakeholdersAt}|${c.lastStatusPageAt}|${c.reminded}|${c.statusPageReminded}`;
  }

  private times(): number {
    return [this.firstStatusDue(), this.due('stakeholders'), this.due('statusPage')].filter((t) => t !== undefined)
      .length;
  }

  /** An update came due unsent: remind, then escalate, then count it missed and wait for the next. */
  private async overdue(c: Channel): Promise<void> {
    const r = this.book.record;
    const what = c === 'stakeholders' ? 'stakeholder update' : 'status page update';
    const target = this.def.channels.stakeholders ?? this.def.channels.statusPage ?? '';
    const lead = r.roles.communications ?? r.roles.commander;
    const n = this.reminded(c);
    if (n === 0) {
      this.book.cadence.overdue++;
      incidentMetrics.updateOverdue({ severity: r.severity, channel: c });
      this.setReminded(c, 1);
      const draft = `Draft: "${r.title}: we are investigating and will update again within ${Math.round((this.interval(c) ?? 0) / 60_000)} minutes."`;
      const text = `[${r.severity}] ${r.title} (${r.id}): the ${what} is due${lead ? ` (${lead})` : ''}. ${draft} Send: runbook incidents update ${r.id} "<text>"`;
      this.book.add('update', 'system', `${what} due: ${lead ?? 'no communications lead'} reminded`, false);
      await this.sender.notify('reminder', target, text, 'warning');
      return;
    }
    if (n === 1) {
      this.setReminded(c, 2);
      const managers = await this.people('manager');
      const to = [r.roles.commander, ...managers].filter((x): x is string => !!x);
      this.book.add(
        'escalated',
        'system',
        `${what} overdue: told ${to.join(', ') || 'nobody (no commander or manager)'}`,
        false,
      );
      await this.sender.notify(
        'overdue',
        target,
        `[${r.severity}] ${r.title} (${r.id}): the ${what} is overdue; ${to.join(', ') || 'the commander'} please make sure it goes out.`,
        'critical',
      );
      return;
    }
    // Missed: the next is due an interval after the one missed.
    const at = new Date(this.last(c) + (this.interval(c) ?? 0)).toISOString();
    if (c === 'stakeholders') this.book.cadence.lastStakeholdersAt = at;
    else this.book.cadence.lastStatusPageAt = at;
    this.setReminded(c, 0);
    this.book.touch();
  }

  /** A stakeholder update a person sent. */
  async stakeholderUpdate(text: string, by: string): Promise<void> {
    const r = this.book.record;
    this.book.cadence.lastStakeholdersAt = new Date().toISOString();
    this.book.cadence.reminded = 0;
    this.book.touch();
    if (this.def.channels.stakeholders)
      await this.sender.notify(
        'update',
        this.def.channels.stakeholders,
        `[${r.severity}] ${r.title} (${r.id}): ${text}`,
        'info',
      );
    void by;
  }

  /** A status page update (the templates' text unless one is given). */
  async statusUpdate(
    status: 'investigating' | 'identified' | 'monitoring' | 'resolved',
    by: string,
    body?: string,
  ): Promise<void> {
    const target = this.def.channels.statusPage;
    this.book.cadence.lastStatusPageAt = new Date().toISOString();
    this.book.cadence.statusPageReminded = 0;
    if (!target) return this.book.touch();
    const r = this.book.record;
    this.book.add('update', by, `status page: ${status}${body ? `: ${body}` : ''}`, by !== 'system');
    if (this.def.channels.statusPageKind === 'statuspage')
      await this.sender.send('status', 'notify:statuspage:incident', {
        target,
        key: r.id,
        name: r.title,
        status,
        issue: r.title,
        ...(body ? { body } : {}),
      });
    else
      await this.sender.notify('status', target, `${r.title} (${r.id}): ${status}${body ? `: ${body}` : ''}`, 'info');
  }
}
