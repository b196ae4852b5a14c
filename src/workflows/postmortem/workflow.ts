/**
 * The postmortem follow-up (issue 12): started by its incident at resolution, it lives for
 * weeks. It opens the postmortem's issue with the draft, reminds the owner of the document, the
 * incident report and each action item at -24 h, at the due time and +24 h, then tells the
 * managers at +48 h; items are added and closed by people (signed, through the API and the CLI)
 * and by the tracker's webhooks (the API checks the signature, the run checks the issue is the
 * item's own). It ends when the document is complete and every item is closed, and continues
 * as new, carrying its bounded state, before its history grows large. Timers, never polling:
 * the loop sleeps until the next reminder or the next change.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { postmortemMetrics } from './metrics';
import { SA } from '../../shared/constants';
import {
  postmortemActionSignal,
  postmortemActionUpdate,
  postmortemQuery,
  type PostmortemActionResult,
  type PostmortemDefinition,
  type PostmortemPhase,
  type PostmortemState,
  type PostmortemWorkflowInput,
} from '../../shared/postmortem';
import { noteUnverified } from '../kit/trust';
import { quietCondition } from '../kit/untracked';
import { PostmortemBook, type DueReminder } from './book';
import { openSubjects } from './ladder';
import { recipients, reminderText, sendReminder } from './reminders';
import { closeIssue, openDocument, openItem } from './tickets';
import { checkStart, UNSIGNED, verifiedAction } from './trust';

/** @default 2000 history events, then continue as new. */
const HISTORY_LIMIT = 2000;

export async function postmortemWorkflow(input: PostmortemWorkflowInput): Promise<PostmortemState> {
  checkStart(input);
  const d = input.definition;
  const book = new PostmortemBook(d, input.carry);
  const limit = input.historyLimit ?? HISTORY_LIMIT;
  install(book);

  let shown: PostmortemPhase | undefined;
  const showPhase = (): void => {
    const phase = book.refreshPhase();
    if (phase === shown) return;
    shown = phase;
    upsertSearchAttributes([
      { key: SA.incidentId, value: d.incidentId },
      { key: SA.severity, value: d.severity },
      ...(d.service ? [{ key: SA.service, value: d.service }] : []),
      { key: SA.phase, value: phase },
    ]);
  };
  const tooLong = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;

  for (;;) {
    // Taken before the work below awaits anything: an action that lands meanwhile wakes the next wait.
    const seen = book.version;
    await tickets(book, d);
    await reminders(book, d);
    showPhase();
    if (book.finished()) break;
    if (tooLong()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof postmortemWorkflow>({
        definition: d,
        carry: book.carry(),
        ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}),
      });
    }
    const next = book.pending()[0];
    const changed = (): boolean => book.version !== seen || tooLong();
    if (next) await quietCondition(changed, Math.max(next.atMs - Date.now(), 1));
    else await quietCondition(changed);
  }
  await condition(allHandlersFinished);
  return book.state;
}

function install(book: PostmortemBook): void {
  setHandler(postmortemQuery, () => book.state, {
    description: 'The postmortem: owner, due dates, items, reminders sent.',
  });
  setHandler(
    postmortemActionUpdate,
    (envelope): PostmortemActionResult => {
      // Verified by the validator: only accepted updates run this (and only they are in history).
      const c = envelope.payload;
      try {
        return book.apply(c.action, c.actor, c.channel);
      } catch (err) {
        throw ApplicationFailure.create({ message: (err as Error).message, nonRetryable: true });
      }
    },
    {
      validator: (envelope) => {
        try {
          const c = verifiedAction(envelope);
          book.check(c.action, c.channel);
        } catch (err) {
          log.warn('postmortemAction refused', { reason: (err as Error).message });
          throw err;
        }
      },
      description: 'A signed action: assign, add/assign/close an item, complete, report, note.',
    },
  );
  setHandler(
    postmortemActionSignal,
    (payload) => {
      noteUnverified(book.state.unverified, postmortemActionSignal.name, payload, UNSIGNED);
      book.version++;
    },
    { description: `An action sent unsigned: recorded as an unverified note only (${UNSIGNED}).` },
  );
}

/** Opens the issues the state calls for and closes those of what was closed here. */
async function tickets(book: PostmortemBook, d: PostmortemDefinition): Promise<void> {
  const target = d.ticketTarget;
  const s = book.state;
  if (!target) return;
  if (!s.document.ticket && !s.document.ticketError) {
    const r = await openDocument(d, target);
    if ('ticket' in r) s.document.ticket = r.ticket;
    else s.document.ticketError = r.error;
  }
  for (const item of [...s.items]) {
    if (item.state === 'open' && !item.ticket && !item.ticketError) {
      const r = await openItem(d, item, target, s.document.ticket);
      if ('ticket' in r) item.ticket = r.ticket;
      else item.ticketError = r.error;
    }
    if (item.state === 'closed' && item.ticket && item.ticketClosed === undefined) {
      const error = await closeIssue(`${item.id}-close`, item.ticket);
      item.ticketClosed = error === undefined;
      if (error) item.ticketError = `not closed on the tracker: ${error}`;
    }
  }
  if (s.completed && s.document.ticket && s.document.ticketClosed === undefined) {
    const error = await closeIssue('postmortem-close', s.document.ticket);
    s.document.ticketClosed = error === undefined;
    if (error) s.document.ticketError = `not closed on the tracker: ${error}`;
  }
}

/** Sends what is due: per subject only its latest rung (a run that slept past two sends one). */
async function reminders(book: PostmortemBook, d: PostmortemDefinition): Promise<void> {
  const now = Date.now();
  const due = new Map<string, DueReminder>();
  for (const r of book.pending()) if (r.atMs <= now) due.set(r.subject, r);
  for (const r of due.values()) {
    const to = recipients(book.state, r.subject, r.rung);
    // Counted once, the first time a subject's reminder says it is past due.
    const was = openSubjects(book.state).find(([subject]) => subject === r.subject)?.[1].sent ?? [];
    if (r.rung !== 'before' && was.every((x) => x === 'before'))
      postmortemMetrics.overdue({
        kind: r.subject === 'document' || r.subject === 'report' ? r.subject : 'item',
        severity: book.state.severity,
      });
    book.sent(r.subject, r.rung, to);
    await sendReminder(d.notifyTarget, r.subject, r.rung, reminderText(book.state, r.subject, r.rung, to));
  }
}
