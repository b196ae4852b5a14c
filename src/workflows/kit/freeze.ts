/**
 * The kill switch as a workflow sees it: before each change, ask whether a freeze covers it;
 * while one does, wait (read-only work was never stopped). A frozen workflow is remembered by the
 * control workflow and woken by its signal once no freeze covers it; it also asks again on a
 * backoff (doubling up to an hour), in case a signal was lost, so a run frozen for days keeps a
 * short history.
 */
import { condition, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { freezesChangedSignal, type Freeze, type RunScope } from '../../shared/coordination';
import type { Recorder } from './recorder';

const { checkFreeze } = proxyActivities<Pick<Activities, 'checkFreeze'>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10 },
  summary: 'kill switch?',
});

/** Runs frozen before wake-ups existed asked again every poll; they replay that way. */
const WAKE_PATCH = 'freeze-wake-by-signal';
/** @default 60000: the first ask-again while frozen (then doubling). */
const FIRST_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 3_600_000;

export class KillSwitch {
  private wakes = 0;

  constructor(
    private readonly recorder: Recorder,
    /** The first backoff while frozen; before wake-ups existed, the fixed poll. */
    private readonly pollMs?: number,
  ) {}

  /** Registers the wake-up signal; call it at the top of the workflow. */
  install(): void {
    setHandler(freezesChangedSignal, () => void this.wakes++, {
      description: 'From the kill switch: the freezes changed (sent to frozen runs).',
    });
  }

  /**
   * Returns once no freeze covers `scope`. `show` is told the freeze in force (and undefined once
   * it is lifted), so the caller can say why it waits; `label` names what waits, for timer summaries.
   */
  async waitWhileFrozen(scope: RunScope, label: string, show: (f: Freeze | undefined) => void): Promise<void> {
    let end: (() => void) | undefined;
    let backoff = this.pollMs ?? FIRST_BACKOFF_MS;
    try {
      for (let frozen = false; ; frozen = true) {
        const seen = this.wakes;
        const freezes = await checkFreeze({ ...scope, watcher: workflowInfo().workflowId });
        if (freezes.length === 0) {
          if (frozen) show(undefined);
          return;
        }
        end ??= this.recorder.wait('frozen');
        show(freezes[0] as Freeze);
        if (!patched(WAKE_PATCH)) {
          await sleep(this.pollMs ?? 10_000, { summary: `${label}: frozen, asking again` });
          continue;
        }
        await condition(() => this.wakes > seen, backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    } finally {
      end?.();
    }
  }
}
