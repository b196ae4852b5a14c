/**
 * Alerts that did not become or reach a run are kept, never dropped: malformed payloads (with
 * the body as received), alerts no route matches, and alerts whose route could not start its
 * target (a runbook, or what the route's workflow kind names). One JSON line per entry, a file
 * per kind under the journal folder, rotated at a size cap (the previous file kept as `.1`). Each
 * API replica keeps its own journal.
 */
import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
  let ready: Promise<unknown> | undefined;
  // Appends of one process are serialised so rotation never loses a line.
  let tail: Promise<void> = Promise.resolve();
  const file = (kind: JournalKind): string => join(dir, `${kind}.jsonl`);

  async function write(e: JournalEntry): Promise<void> {
    ready ??= mkdir(dir, { recursive: true });
    await ready;
    const path = file(e.kind);
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size > maxBytes) await rename(path, `${path}.1`);
    await appendFile(path, `${JSON.stringify(e)}\n`, 'utf8');
  }

  return {
    record(e) {
      const entry: JournalEntry = {
        at: new Date().toISOString(),
        ...e,
        ...(e.body !== undefined ? { body: e.body.slice(0, BODY_MAX) } : {}),
      };
      const next = tail.then(() => write(entry));
      tail = next.catch(() => undefined);
      return next;
    },
    async list(kind, limit) {
      await tail;
      const text = await readFile(file(kind), 'utf8').catch(() => '');
      const lines = text.split('\n').filter((l) => l !== '');
      return lines
        .slice(-limit)
        .reverse()
        .map((l) => JSON.parse(l) as JournalEntry);
    },
  };
}
