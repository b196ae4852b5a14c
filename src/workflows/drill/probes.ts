/**
 * Reading the steady-state hypothesis: every probe at once, as local activities (quick reads,
 * no server round trip each), judged in workflow code (src/shared/probes.ts). A read that fails
 * is a deviation, never a failure of the drill.
 */
import { isCancellation } from '@temporalio/workflow';
import type { ProbeReading } from '../../shared/drill';
import type { ExperimentDefinition } from '../../shared/experiment';
import type { JsonObject } from '../../shared/model';
import { judgeProbe, probeCall } from '../../shared/probes';
import { callActivity } from '../kit';
import { errorOf } from '../backup/common';

const PROBE_RETRY = { maxAttempts: 1, initialIntervalMs: 1000, backoff: 1 };

export async function readProbes(x: ExperimentDefinition, round: string): Promise<ProbeReading[]> {
  const at = new Date().toISOString();
  return Promise.all(
    x.probes.map(async (p) => {
      const call = probeCall(p, Date.now());
      try {
        const r = await callActivity(call.action, call.input as JsonObject, {
          id: `probe-${p.name}-${round}`,
          action: call.action,
          // One try: a slow or failing read is what the probe reports, and the next round reads again.
          retry: PROBE_RETRY,
          timeoutMs: 30_000,
          runbookId: `chaos-drill:${x.id}`,
          dryRun: false,
          local: true,
        });
        return { at, probe: p.name, ...judgeProbe(p, { output: r.output }) };
      } catch (err) {
        if (isCancellation(err)) throw err;
        return { at, probe: p.name, ...judgeProbe(p, { error: errorOf(err).message }) };
      }
    }),
  );
}

/** Deviations in a row per probe, and which are broken (at their tolerance). */
export class DeviationCounter {
  private readonly streak = new Map<string, number>();
  constructor(private readonly x: ExperimentDefinition) {}

  /** Counts a round; answers the probes broken by it. */
  add(round: ProbeReading[]): string[] {
    const broken: string[] = [];
    for (const r of round) {
      const n = r.ok ? 0 : (this.streak.get(r.probe) ?? 0) + 1;
      this.streak.set(r.probe, n);
      const tolerance = this.x.probes.find((p) => p.name === r.probe)?.tolerance ?? 1;
      if (n >= tolerance) broken.push(r.probe);
    }
    return broken;
  }
}
