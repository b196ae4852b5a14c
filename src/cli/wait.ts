/** `start --wait`: polls the run until its execution closes, reporting what changes on the way. */
import type { RunDetail } from '../runs/service';
import type { RunStatus } from '../shared/status';
import type { CliContext } from './context';
import { CliError, EXIT } from './errors';
import { pathOf } from './http';
import { progressLines } from './render-run';

export interface WaitOptions {
  /** @default 1000 */
  intervalMs?: number;
  /** Consecutive failed polls (5xx, API unreachable) tolerated before giving up. @default 5 */
  maxPollFailures?: number;
}

/** Resolves with the run's last detail once its execution is no longer RUNNING. */
export async function waitForRun(ctx: CliContext, workflowId: string, o: WaitOptions = {}): Promise<RunDetail> {
  const intervalMs = o.intervalMs ?? 1000;
  const maxFailures = o.maxPollFailures ?? 5;
  let last: RunStatus | null = null;
  let failures = 0;
  for (;;) {
    let detail: RunDetail;
    try {
      detail = await ctx.api.get<RunDetail>(pathOf('/v1/runs', workflowId));
      failures = 0;
    } catch (err) {
      // A 4xx will not get better; a restarting API or Temporal might.
      if (!(err instanceof CliError) || err.exitCode !== EXIT.failed || ++failures > maxFailures) throw err;
      ctx.io.err(`runbook: polling ${workflowId} failed (${failures}/${maxFailures}), retrying: ${err.message}`);
      await delay(intervalMs);
      continue;
    }
    if (detail.run) {
      if (!ctx.json) for (const line of progressLines(workflowId, last, detail.run)) ctx.io.out(line);
      last = detail.run;
    }
    if (detail.status !== 'RUNNING') return detail;
    await delay(intervalMs);
  }
}

/** Whether a closed run counts as a success: its own phase says so (or, if unknown, its execution). */
export function succeeded(d: RunDetail): boolean {
  return d.run ? d.run.phase === 'succeeded' : d.status === 'COMPLETED';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
