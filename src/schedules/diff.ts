/**
 * What sync would do to one schedule, in words: the diff a dry run shows and an applied sync
 * reports. Compares the sync memo Temporal holds (what the last sync wrote) with the desired one.
 */
import { canonicalJson } from '../shared/canonical';
import type { DesiredSchedule } from './desired';
import type { ScheduleSyncMemo } from './memo';

const quote = (s: string): string => (s === '' ? '(none)' : `"${s}"`);

/** The changes between the last synced memo and the desired schedule; [] when nothing changed. */
export function describeChanges(
  last: ScheduleSyncMemo | undefined,
  d: DesiredSchedule,
  live: { paused: boolean; note: string },
): string[] {
  if (!last) return ['no sync memo (created by an older version or by hand with the managed memo): rewritten'];
  if (last.specHash === d.memo.specHash) return [];
  const out: string[] = [];
  const next = d.memo;
  if (last.parts.spec !== next.parts.spec) out.push(`when: ${last.when} -> ${next.when}`);
  if (last.parts.action !== next.parts.action) {
    const before = canonicalJson(last.params);
    const after = canonicalJson(next.params);
    out.push(before !== after ? `params: ${before} -> ${after}` : 'action: task queue, summary or search attributes');
  }
  if (last.parts.policies !== next.parts.policies) out.push(`policies: ${last.policies} -> ${next.policies}`);
  if (last.declaredPaused !== next.declaredPaused) {
    out.push(
      `paused: declared ${last.declaredPaused} -> ${next.declaredPaused} (applied${live.paused === next.declaredPaused ? ', already so' : ''})`,
    );
  } else if (last.declaredNote !== next.declaredNote) {
    // The operator's note (from pause or resume) wins over a changed declared note.
    const applies = live.note === last.declaredNote;
    out.push(
      `note: declared ${quote(last.declaredNote)} -> ${quote(next.declaredNote)} (${applies ? 'applied' : "kept the operator's note"})`,
    );
  }
  return out.length ? out : ['sync memo'];
}

/**
 * The state an update writes. The declared `paused:` wins only when the file changed it since the
 * last sync; otherwise the live state stays, so an operator's pause or resume survives a sync.
 */
export function nextState(
  last: ScheduleSyncMemo | undefined,
  d: DesiredSchedule,
  live: { paused: boolean; note: string },
): { paused: boolean; note: string } {
  if (!last || last.declaredPaused !== d.declared.paused) return { ...d.declared };
  const note = live.note === last.declaredNote ? d.declared.note : live.note;
  return { paused: live.paused, note };
}
