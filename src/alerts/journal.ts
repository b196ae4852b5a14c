/**
 * Alerts that did not become or reach a run are kept, never dropped: malformed payloads (with
 * the body as received), alerts no route matches, and alerts whose route could not start its
 * target (a runbook, or what the route's workflow kind names). One JSON line per entry, a file
 * per kind under the journal folder, rotated at a size cap (the previous file kept as `.1`). Each
 * API replica keeps its own journal.
 */
import { join } from 'node:path';
import { createJsonLines, type JsonLines } from '../platform/json-lines';
import type { AlertInstance, AlertSource } from '../shared/alert';
import type { WorkflowKind } from '../shared/workflow-kinds';

export const JOURNAL_KINDS = ['malformed', 'unrouted', 'unstartable', 'unauthorized'] as const;
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
  alert?: AlertInstance;
  /** The body as received (malformed only), cut at BODY_MAX characters. */
  body?: string;
  remote?: string;
}

const BODY_MAX = 64 * 1024;

export interface AlertJournal {
  record(e: Omit<JournalEntry, 'at'>): Promise<void>;
  /** The newest entries first. */
  list(kind: JournalKind, limit: number): Promise<JournalEntry[]>;
}

export function createFileJournal(dir: string, maxBytes = 10 * 1024 * 1024): AlertJournal {
  const files = new Map<JournalKind, JsonLines<JournalEntry>>();
  const file = (kind: JournalKind): JsonLines<JournalEntry> => {
    let f = files.get(kind);
    if (!f) files.set(kind, (f = createJsonLines<JournalEntry>(join(dir, `${kind}.jsonl`), maxBytes)));
    return f;
  };
  return {
    record(e) {
      const entry: JournalEntry = {
        at: new Date().toISOString(),
        ...e,
        ...(e.body !== undefined ? { body: e.body.slice(0, BODY_MAX) } : {}),
      };
      return file(entry.kind).append(entry);
    },
    list: (kind, limit) => file(kind).newest(limit),
  };
}
