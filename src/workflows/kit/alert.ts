/**
 * Which signed alert notices a run has taken, so that a raw Temporal client cannot resend one:
 * the API signs each notice for its run, with the time it signed it and an expiry
 * (src/alerts/ingest.ts), and anyone who can read the run's history can copy the envelope.
 *
 * A signed notice is refused (noted as unverified, changing nothing) when it has expired, when
 * the run has already taken that very envelope, or when it was issued more than REPLAY_WINDOW_MS
 * before the newest the run has taken. Within the window notices may arrive out of order
 * (several API replicas, a coalesced change sent later), so there copies are recognised by their
 * signature; the run remembers at most REMEMBERED of them, and refuses anything issued before the
 * oldest it forgot. Deterministic: it reads the notices and workflow time only.
 *
 * Runs started before this check (no `alert-replay-check` marker) replay as they ran.
 */
import { patched } from '@temporalio/workflow';
import type { AlertNotice } from '../../shared/alert';
import { verifiedAlertClaims } from './trust';

/** How much older than the newest notice taken a notice may be (out-of-order delivery). */
export const REPLAY_WINDOW_MS = 10 * 60_000;
/** Signatures of notices within the window a run remembers. */
const REMEMBERED = 256;

export class AlertReplayGuard {
  /** Decided at the first signed notice: runs no alert ever reaches record no marker for it. */
  private checking: boolean | undefined;
  /** Issue time (ms) of each remembered notice, by signature. */
  private readonly taken = new Map<string, number>();
  private newest = -Infinity;
  /** Notices issued at or before this were forgotten: refused. */
  private floor = -Infinity;

  /** `signed`: the run takes signed notices only (every run since signing). */
  constructor(private readonly signed: boolean) {}

  /** The notice of a signed alert envelope, taken now; throws a TypeError saying why it counts for nothing. */
  admit(envelope: unknown): AlertNotice {
    const claims = verifiedAlertClaims(envelope);
    this.checking ??= this.signed && patched('alert-replay-check');
    if (!this.checking) return claims.notice;
    const sig = String((envelope as { sig: unknown }).sig);
    // Signed before notices carried their issue time: when the API received it.
    const issuedText = claims.issuedAt ?? claims.notice.receivedAt;
    const issued = Date.parse(issuedText);
    if (!Number.isFinite(issued)) throw new TypeError('the alert notice says no valid time it was issued');
    if (this.taken.has(sig)) throw new TypeError(`a copy of an alert notice this run took (issued ${issuedText})`);
    if (issued <= this.floor || issued < this.newest - REPLAY_WINDOW_MS)
      throw new TypeError(
        `an alert notice issued ${issuedText}, before newer ones this run took (the newest ${new Date(this.newest).toISOString()}): a replay`,
      );
    this.remember(sig, issued);
    return claims.notice;
  }

  private remember(sig: string, issued: number): void {
    this.taken.set(sig, issued);
    this.newest = Math.max(this.newest, issued);
    // Out of the window: a copy of these is refused by its time already.
    for (const [s, t] of this.taken) if (t < this.newest - REPLAY_WINDOW_MS) this.taken.delete(s);
    if (this.taken.size <= REMEMBERED) return;
    let oldest: [string, number] | undefined;
    for (const entry of this.taken) if (!oldest || entry[1] < oldest[1]) oldest = entry;
    const [s, t] = oldest as [string, number];
    this.taken.delete(s);
    this.floor = Math.max(this.floor, t);
  }
}
