/** The pieces of the run's live Slack message that need no state: notice events, outcomes, comparisons. */
import { workflowInfo } from '@temporalio/workflow';
import type { MessageEventKind } from '../../shared/message-events';
import type { JsonObject } from '../../shared/model';
import type { SlackMessage } from '../../shared/slack-blocks';
import type { RunStatus } from '../../shared/status';

/** The event a message stands for: the worker renders its template (notify.templates.events) as the notification text. */
export function noticeEvent(
  kind: MessageEventKind,
  status: RunStatus,
  stepId?: string,
  step: JsonObject = {},
  decision?: string,
): JsonObject {
  return {
    kind,
    scope: {
      runbook: { id: status.runbook.id, title: status.runbook.title },
      run: { workflowId: workflowInfo().workflowId, phase: status.phase, trigger: status.trigger.source },
      ...(stepId ? { step: { id: stepId, ...step } } : {}),
      ...(decision ? { decision } : {}),
    },
  };
}

export function sameBlocks(a: SlackMessage, b: SlackMessage): boolean {
  return JSON.stringify(a.blocks) === JSON.stringify(b.blocks);
}

/** What came of a thread request, from the run's record: who decided, or why it stopped waiting. */
export function outcomeOf(status: RunStatus, key: string): string {
  const [kind, stepId] = key.split(':');
  if (kind === 'approval') {
    const d = [...status.decisions].reverse().find((x) => x.stepId === stepId);
    return d
      ? `${d.decision === 'approve' ? 'Approved' : 'Rejected'} by ${d.actor} (${d.via})`
      : `No longer waiting: the run is ${status.phase}`;
  }
  const d = [...status.stepDecisions].reverse().find((x) => x.stepId === stepId);
  return d ? `${d.action} by ${d.actor} (${d.via})` : `No longer waiting: the run is ${status.phase}`;
}
