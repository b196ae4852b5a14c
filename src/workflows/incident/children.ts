/**
 * What an incident starts: runbooks as child workflows (the route's at opening, or a
 * responder's), and at resolution its postmortem. Each start is signed in this workflow's
 * sandbox with the worker's key, as the API signs its own, so the child trusts it: a runbook
 * started for an incident names the incident as its trigger and the person who asked (or the
 * route's owner) as its requester, who therefore cannot approve it. Children outlive a continued
 * run (ParentClosePolicy ABANDON); the incident waits for its runbooks before continuing.
 */
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { POSTMORTEM_WORKFLOW, RUNBOOK_WORKFLOW } from '../../shared/constants';
import type { ChildRunbook } from '../../shared/incident-messages';
import type { ParamValue, TriggerInfo } from '../../shared/model';
import type { RunResult } from '../../shared/status';
import type { PostmortemDefinition } from '../../shared/postmortem';
import { describeFailure } from '../kit';
import { signChildStart } from '../kit/child-start';
import type { IncidentBook } from './book';

/** Steps of a finished runbook put on the timeline (the rest are counted). */
const STEPS_SHOWN = 30;

export class IncidentChildren {
  private running = 0;

  constructor(private readonly book: IncidentBook) {}

  /** Runbooks still running (started by this run). */
  busy(): boolean {
    return this.running > 0;
  }

  async runbook(
    runbookId: string,
    params: Record<string, unknown>,
    requestedBy: string,
    human: boolean,
  ): Promise<void> {
    const r = this.book.record;
    const n = this.book.children.filter((c) => c.runbookId === runbookId).length + 1;
    const workflowId = `${r.id}-${runbookId}-${n}`;
    const trigger: TriggerInfo = {
      source: 'incident',
      requestedBy,
      reason: `incident ${r.id}: ${r.title}`.slice(0, 500),
    };
    const p = params as Record<string, ParamValue>;
    const child: ChildRunbook = {
      workflowId,
      runbookId,
      startedBy: requestedBy,
      state: 'running',
      startedAt: new Date().toISOString(),
    };
    let handle;
    try {
      handle = await startChild(RUNBOOK_WORKFLOW, {
        workflowId,
        args: [
          {
            runbookId,
            params: p,
            trigger,
            signed: signChildStart(RUNBOOK_WORKFLOW, workflowId, runbookId, p, trigger),
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `${runbookId} for incident ${r.id}`,
      });
    } catch (err) {
      this.book.add('runbook', 'system', `runbook ${runbookId} did not start: ${describeFailure(err).message}`, false);
      return;
    }
    this.book.addChild(child);
    if (!human && !r.firstAutomatedAt) r.firstAutomatedAt = child.startedAt;
    this.book.add('runbook', requestedBy, `runbook ${runbookId} started (${workflowId})`, human);
    this.running++;
    try {
      const result = (await handle.result()) as RunResult;
      child.state = result.phase === 'succeeded' ? 'succeeded' : 'failed';
      this.steps(runbookId, result);
      r.approvalWaitMs += result.approvalWaitMs ?? 0;
      if (result.error) child.error = result.error.message.slice(0, 500);
    } catch (err) {
      child.state = /cancel/i.test(describeFailure(err).message) ? 'cancelled' : 'failed';
      child.error = describeFailure(err).message.slice(0, 500);
    } finally {
      this.running--;
    }
    child.endedAt = new Date().toISOString();
    this.book.add(
      'runbook',
      'system',
      `runbook ${runbookId} ${child.state}${child.error ? `: ${child.error}` : ''}`,
      false,
    );
  }

  private steps(runbookId: string, result: RunResult): void {
    const shown = result.steps.slice(0, STEPS_SHOWN);
    for (const s of shown)
      this.book.add('step', runbookId, `${s.id}: ${s.state}${s.error ? ` (${s.error.message})` : ''}`, false);
    if (result.steps.length > shown.length)
      this.book.add('step', runbookId, `and ${result.steps.length - shown.length} more steps`, false);
  }

  /** The postmortem follow-up, once: `postmortem-<incident id>`, living on after the incident closes. */
  async postmortem(definition: PostmortemDefinition): Promise<string | undefined> {
    const r = this.book.record;
    const workflowId = `postmortem-${r.id}`;
    const trigger: TriggerInfo = { source: 'incident', requestedBy: workflowInfo().workflowId };
    try {
      await startChild(POSTMORTEM_WORKFLOW, {
        workflowId,
        args: [
          {
            definition,
            signed: signChildStart(POSTMORTEM_WORKFLOW, workflowId, 'postmortem', {}, trigger, definition),
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Postmortem of ${r.id}: ${r.title}`.slice(0, 390),
      });
    } catch (err) {
      this.book.add('note', 'system', `the postmortem did not start: ${describeFailure(err).message}`, false);
      return undefined;
    }
    this.book.postmortem = workflowId;
    this.book.add('note', 'system', `postmortem ${workflowId} opened`, false);
    return workflowId;
  }
}
