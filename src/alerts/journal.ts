/**
 * Alerts that did not become or reach a run are kept, never dropped: malformed payloads (with
 * the body as received), alerts no route matches, alerts whose route could not start its target
 * (a runbook, or what the route's workflow kind names), refused signatures, notifications too
 * large to hand to Temporal (the head of the body), and alerts a run received cut short (the
 * full alert). One JSON line per entry, a file per kind under the journal folder, rotated at a
 * size cap (the previous file kept as `.1`). Each API replica keeps its own journal.
 *
 * An entry that cannot be written (disk full, read-only) fails with RunError('unavailable'): the
 * API answers 503 and the sender retries, so nothing is answered without its trace.
 */
import { join } from 'node:path';
import { createJsonLines, JsonLinesWriteError, type JsonLines, type JsonLinesFs } from '../platform/json-lines';
import { RunError } from '../runs/errors';
import type { AlertInstance, AlertSource } from '../shared/alert';
import type { WorkflowKind } from '../shared/workflow-kinds';

export const JOURNAL_KINDS = ['malformed', 'unrouted', 'unstartable', 'unauthorized', 'oversized', 'cut'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

/** What an alert's route starts: the workflow kind and its target's id. */
export interface AlertTarget {
  kind: WorkflowKind;
  id: string;
}

export interface JournalEntry {
  at: string;
  kind: JournalKind;
  source: AlertSource;
  reason: string;
  route?: string;
  /** What the route would have started (unstartable entries). */
  target?: AlertTarget;
  /** The alert (when its JSON is within BODY_MAX; a larger one is kept in `body`, cut). */
  alert?: AlertInstance;
  /** The body as received (malformed, oversized), or a large alert's JSON; cut at BODY_MAX characters. */
  body?: string;
  /** Set when `body` was cut at BODY_MAX. */
  cut?: true;
  remote?: string;
}

/** What one entry keeps of a body or an alert. */
export const BODY_MAX = 64 * 1024;

export interface AlertJournal {
  /** Throws RunError('unavailable') when the entry cannot be written. */
  record(e: Omit<JournalEntry, 'at'>): Promise<void>;
  /** The newest entries first. */
  list(kind: JournalKind, limit: number): Promise<JournalEntry[]>;
}

/** The entry as written: bodies cut at BODY_MAX, and an alert too large kept as its cut JSON. */
function bounded(e: Omit<JournalEntry, 'at'>): JournalEntry {
  const { alert, body, ...rest } = e;
  const out: JournalEntry = { at: new Date().toISOString(), ...rest };
  let text = body;
  if (alert !== undefined) {
    const json = JSON.stringify(alert);
    if (json.length <= BODY_MAX) out.alert = alert;
    else text ??= json;
  }
  if (text !== undefined) {
    out.body = text.slice(0, BODY_MAX);
    if (text.length > BODY_MAX) out.cut = true;
  }
  return out;
}

export function createFileJournal(dir: string, maxBytes = 10 * 1024 * 1024, fs?: JsonLinesFs): AlertJournal {
  const files = new Map<JournalKind, JsonLines<JournalEntry>>();
  const file = (kind: JournalKind): JsonLines<JournalEntry> => {
    let f = files.get(kind);
    if (!f) files.set(kind, (f = createJsonLines<JournalEntry>(join(dir, `${kind}.jsonl`), maxBytes, fs)));
    return f;
  };
  return {
    async record(e) {
      const entry = bounded(e);
      try {
        await file(entry.kind).append(entry);
      } catch (err) {
        if (!(err instanceof JsonLinesWriteError)) throw err;
        throw new RunError('unavailable', `the alert journal cannot be written (${err.code}); retry`);
      }
    },
    list: (kind, limit) => file(kind).newest(limit),
  };
}
