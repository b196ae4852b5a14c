/**
 * The paging ladder, run: the plan of src/shared/paging-plan.ts turned into durable timers. Each
 * page goes out at its time unless what stops it happened first (an acknowledgement stops the
 * backup's page, the resolution stops every page); each level is paged once per trigger kind.
 * `replan()` (a severity change) makes the ladder read its plan again, from the same opening
 * time, without paging a level twice. One timer at a time: a waiting ladder costs one timer.
 */
import { quietCondition } from './untracked';
import type { PageStep } from '../../shared/paging-plan';

export interface LadderHooks {
  /** The plan now (it may change: a severity change). */
  plan(): PageStep[];
  acknowledged(): boolean;
  resolved(): boolean;
  /** Sends the page; its failure is the caller's to note (the ladder goes on). */
  page(step: PageStep): Promise<void>;
}

export class PageLadder {
  /** Triggers taken (level and kind), and the levels actually paged. */
  private readonly paged = new Set<string>();
  private readonly levels = new Set<string>();
  private changed = false;

  /** `carried`: what an earlier run of the same workflow took and paged (continue-as-new). */
  constructor(
    private readonly hooks: LadderHooks,
    carried?: { paged: string[]; levels: string[] },
  ) {
    for (const k of carried?.paged ?? []) this.paged.add(k);
    for (const l of carried?.levels ?? []) this.levels.add(l);
  }

  /** What a continued run needs to go on without paging anyone twice. */
  state(): { paged: string[]; levels: string[] } {
    return { paged: [...this.paged], levels: [...this.levels] };
  }

  /** A level paged now by a person's escalation: the ladder will not page it again. */
  markPaged(level: string): void {
    this.levels.add(level);
  }

  /** The levels paged so far. */
  sent(): string[] {
    return [...this.levels];
  }

  /** The plan changed: read it again before the next page. */
  replan(): void {
    this.changed = true;
  }

  /** Runs until resolved, the plan is exhausted, or `stop()` says so (it returns at its next wake). */
  async run(stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      if (stop()) return;
      this.changed = false;
      const next = this.hooks.plan().find((s) => !this.paged.has(keyOf(s)) && !this.stopped(s));
      if (!next || this.hooks.resolved()) return;
      const wait = next.atMs - Date.now();
      if (wait > 0) {
        // Woken early by what stops it, by the resolution, or by a new plan.
        await quietCondition(() => this.changed || stop() || this.stopped(next) || this.hooks.resolved(), wait);
        if (stop()) return;
        if (this.changed || this.hooks.resolved() || this.stopped(next)) continue;
      }
      this.paged.add(keyOf(next));
      // Paged once per level whatever the trigger: a level already paged is not paged again.
      if (this.levels.has(next.level)) continue;
      this.levels.add(next.level);
      await this.hooks.page(next);
    }
  }

  private stopped(s: PageStep): boolean {
    return s.until === 'acknowledged' ? this.hooks.acknowledged() || this.hooks.resolved() : this.hooks.resolved();
  }
}

const keyOf = (s: PageStep): string => `${s.level}/${s.until}`;
