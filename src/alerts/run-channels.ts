/**
 * What this API process last told each alert run, so storms cost Temporal little:
 * - a notification identical to the last one accepted for its run is answered at once;
 * - notifications for a run whose call is in flight wait for that call (one call at a time per run);
 * - a firing alert's changed content (annotations, values) within `windowMs` of the last
 *   accepted one is coalesced: answered at once (its run exists and knows it fires) and the
 *   newest content is sent when the window ends, counting the notifications it stands for.
 * A change of status (resolved) and anything this process has not seen recently always waits
 * for Temporal. The memory is a shortcut only: after a restart, the first notification per run
 * goes to Temporal again, and workflow ids still decide what starts.
 */
import type { AlertNotice, AlertStatus } from '../shared/alert';

export type Outcome = 'accepted' | 'duplicate' | 'coalesced' | 'run-ended';
export type Send = (notice: AlertNotice) => Promise<'accepted' | 'run-ended'>;

interface Channel {
  status?: AlertStatus;
  hash?: string;
  at: number;
  ended: boolean;
  inflight?: Promise<unknown>;
  /** Notifications answered since the last one sent (duplicates and coalesced). */
  unsent: number;
  pending?: { notice: AlertNotice; hash: string; send: Send };
  timer?: NodeJS.Timeout;
}

export interface RunChannelsOptions {
  /** Coalescing window for content changes of a firing alert. 0: send every change. */
  windowMs: number;
  /** How long an accepted notification is trusted. */
  memoryMs: number;
  /** Runs remembered at most (oldest forgotten first). */
  size: number;
  onFlushError?: (workflowId: string, err: Error) => void;
  /** The clock windows and memory are measured by; tests pass one they move. @default Date.now */
  now?: () => number;
}

/** How many of the oldest runs one eviction looks at. */
const EVICTION_SCAN = 32;

export class RunChannels {
  private readonly channels = new Map<string, Channel>();
  private readonly now: () => number;

  constructor(private readonly o: RunChannelsOptions) {
    this.now = o.now ?? Date.now;
  }

  private channel(id: string): Channel {
    let ch = this.channels.get(id);
    if (!ch) {
      ch = { at: 0, ended: false, unsent: 0 };
      this.channels.set(id, ch);
      this.evict(id);
    }
    return ch;
  }

  /**
   * Holds the map to its size, looking at the oldest few runs only (a storm costs O(1) per new
   * run): an idle run is forgotten first; else one whose coalesced change waits (the change is
   * dropped: the run's next repeat finds it forgotten and goes to Temporal with the newest
   * content); a run with a call in flight never (its callers wait on it). When the oldest few are
   * all in flight they move to the young end, as in use: the map then holds at most as many more
   * than its size as calls are in flight or waiting for a slot, which the ingest bounds.
   */
  private evict(keep: string): void {
    while (this.channels.size > this.o.size) {
      let idle: string | undefined;
      let waiting: [string, Channel] | undefined;
      let scanned = 0;
      for (const [id, c] of this.channels) {
        if (scanned++ >= EVICTION_SCAN) break;
        if (id === keep || c.inflight) continue;
        if (!c.timer) {
          idle = id;
          break;
        }
        waiting ??= [id, c];
      }
      if (idle === undefined && waiting) {
        const [id, c] = waiting;
        clearTimeout(c.timer);
        c.timer = undefined;
        c.pending = undefined;
        this.o.onFlushError?.(id, new Error('forgotten to keep the memory within its size'));
        idle = id;
      }
      if (idle === undefined) {
        const busy: Array<[string, Channel]> = [];
        for (const entry of this.channels) if (busy.push(entry) >= EVICTION_SCAN) break;
        for (const [id, c] of busy) if (id !== keep) this.touch(id, c);
        return;
      }
      this.channels.delete(idle);
    }
  }

  private send(id: string, ch: Channel, notice: AlertNotice, hash: string, send: Send): Promise<Outcome> {
    const repeats = ch.unsent + 1;
    ch.unsent = 0;
    if (ch.timer) clearTimeout(ch.timer);
    ch.timer = undefined;
    ch.pending = undefined;
    const call = send({ ...notice, ...(repeats > 1 ? { repeats } : {}) }).then(
      (outcome) => {
        Object.assign(ch, { status: notice.alert.status, hash, at: this.now(), ended: outcome === 'run-ended' });
        return outcome;
      },
      (err: unknown) => {
        ch.unsent += repeats - 1;
        throw err;
      },
    );
    ch.inflight = call
      .finally(() => {
        ch.inflight = undefined;
      })
      .catch(() => undefined);
    void this.touch(id, ch);
    return call;
  }

  /** Keeps recently used runs at the young end of the map. */
  private touch(id: string, ch: Channel): void {
    this.channels.delete(id);
    this.channels.set(id, ch);
  }

  async deliver(id: string, notice: AlertNotice, hash: string, send: Send): Promise<Outcome> {
    for (;;) {
      const ch = this.channel(id);
      if (ch.inflight) {
        await ch.inflight;
        continue;
      }
      const now = this.now();
      const known = ch.status !== undefined && now - ch.at <= this.o.memoryMs;
      if (known && ch.ended) return 'run-ended';
      if (!known || notice.alert.status !== ch.status) return this.send(id, ch, notice, hash, send);
      if (hash === ch.hash) {
        ch.unsent += 1;
        return 'duplicate';
      }
      if (notice.alert.status !== 'firing' || now - ch.at >= this.o.windowMs)
        return this.send(id, ch, notice, hash, send);
      ch.unsent += 1;
      ch.pending = { notice, hash, send };
      ch.timer ??= setTimeout(() => this.flush(id, ch), ch.at + this.o.windowMs - now);
      ch.timer.unref?.();
      return 'coalesced';
    }
  }

  private flush(id: string, ch: Channel): void {
    ch.timer = undefined;
    const p = ch.pending;
    if (!p || p.hash === ch.hash) return;
    if (ch.inflight) {
      ch.timer = setTimeout(() => this.flush(id, ch), 100);
      return;
    }
    ch.unsent -= 1; // the pending one is sent now: it is no longer unsent
    this.send(id, ch, p.notice, p.hash, p.send).catch((err: Error) => this.o.onFlushError?.(id, err));
  }

  /** Runs remembered now (for tests and metrics). */
  size(): number {
    return this.channels.size;
  }

  /** Pending content changes (for tests and shutdown). */
  pending(): number {
    let n = 0;
    for (const ch of this.channels.values()) if (ch.pending) n++;
    return n;
  }
}
