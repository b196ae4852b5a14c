/**
 * Slack Block Kit messages for a run: its card (runbook, trigger, phase, step table), an approval
 * request with Approve / Reject buttons and the inputs it covers, a paused step with Retry / Skip /
 * Abort, and what either looks like once decided. Pure data, so the workflow builds them (the
 * run's state is there) and the activity only sends; limits from Slack's Block Kit reference.
 */
import type { JsonObject } from './model';
import type { PendingApproval, PendingStepDecision, RunPhase, RunStatus, StepStateName } from './status';

export interface SlackMessage {
  /** The notification fallback, also what screen readers say. */
  text: string;
  blocks: SlackBlock[];
}
export type SlackBlock = JsonObject;

/**
 * What a button click carries: the action and the run and step it is about. `ack` and
 * `escalate` are an incident's page (its "step" is `incident`).
 */
export const SLACK_ACTIONS = ['approve', 'reject', 'retry', 'skip', 'abort', 'ack', 'escalate'] as const;
export type SlackAction = (typeof SLACK_ACTIONS)[number];
/** `action_id`s are `runbook.<action>`; the interactions route takes no other. */
export const SLACK_ACTION_PREFIX = 'runbook.';

const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const MAX_FIELDS = 10;
const BLOCK_ID_MAX = 255;
const STEP_LINES_MAX = 40;

/** Text for mrkdwn: Slack's three control characters escaped, so nobody's input becomes a link or mention. */
export function mrkdwnEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const section = (text: string, blockId?: string): SlackBlock => ({
  type: 'section',
  ...(blockId ? { block_id: cut(blockId, BLOCK_ID_MAX) } : {}),
  text: { type: 'mrkdwn', text: cut(text, SECTION_MAX) },
});
const context = (text: string): SlackBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: cut(text, SECTION_MAX) }],
});

const PHASE_MARK: Record<RunPhase, string> = {
  starting: ':hourglass_flowing_sand:',
  running: ':arrow_forward:',
  waiting_approval: ':raised_hand:',
  paused: ':double_vertical_bar:',
  rolling_back: ':rewind:',
  awaiting_retroactive_approval: ':rotating_light:',
  waiting_lock: ':lock:',
  frozen: ':snowflake:',
  succeeded: ':white_check_mark:',
  auto_resolved: ':white_check_mark:',
  failed: ':x:',
  rejected: ':no_entry:',
  cancelled: ':heavy_multiplication_x:',
};
const STEP_MARK: Record<StepStateName, string> = {
  pending: ':white_circle:',
  running: ':arrow_forward:',
  waiting: ':hourglass:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
};

/** The run's one message, updated in place as the run goes. */
export function runCard(status: RunStatus, workflowId: string): SlackMessage {
  const rb = status.runbook;
  const trigger = `${status.trigger.source} by ${status.trigger.requestedBy}`;
  const phase = status.phase.replace(/_/g, ' ');
  const steps = status.steps.slice(0, STEP_LINES_MAX).map((s) => {
    const what = s.error && s.state === 'failed' ? `: ${cut(s.error.message, 120)}` : '';
    return `${STEP_MARK[s.state]} \`${mrkdwnEscape(s.id)}\` ${s.state}${mrkdwnEscape(what)}`;
  });
  if (status.steps.length > STEP_LINES_MAX) steps.push(`… and ${status.steps.length - STEP_LINES_MAX} more steps`);
  return {
    text: `${rb.title}: ${phase} (${workflowId})`,
    blocks: [
      section(`${PHASE_MARK[status.phase]} *${mrkdwnEscape(rb.title)}* — ${phase}`, 'run'),
      {
        type: 'section',
        block_id: 'about',
        fields: [
          { type: 'mrkdwn', text: `*Runbook*\n\`${mrkdwnEscape(rb.id)}\` v${mrkdwnEscape(rb.version)}` },
          { type: 'mrkdwn', text: cut(`*Trigger*\n${mrkdwnEscape(trigger)}`, FIELD_MAX) },
          ...(status.dryRun ? [{ type: 'mrkdwn', text: '*Dry run*\nnothing is changed' }] : []),
        ],
      },
      ...(steps.length ? [section(steps.join('\n'), 'steps')] : []),
      context(`Run \`${mrkdwnEscape(workflowId)}\``),
    ],
  };
}

/**
 * The value a request's buttons carry: which run, which step, and for approvals which opening of
 * the gate (so a click is bound to the request it was on; the run refuses it for any other).
 */
export function buttonValue(workflowId: string, stepId: string, opening?: string): string {
  return JSON.stringify({ w: workflowId, s: stepId, ...(opening ? { o: opening } : {}) });
}

/** Reads a button's value back; undefined for anything else. */
export function parseButtonValue(value: unknown): { workflowId: string; stepId: string; opening?: string } | undefined {
  if (typeof value !== 'string' || value.length > 2000) return undefined;
  try {
    const v = JSON.parse(value) as { w?: unknown; s?: unknown; o?: unknown };
    return typeof v.w === 'string' && typeof v.s === 'string' && v.w && v.s
      ? { workflowId: v.w, stepId: v.s, ...(typeof v.o === 'string' && v.o ? { opening: v.o } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

const button = (action: SlackAction, label: string, value: string, style?: 'primary' | 'danger'): SlackBlock => ({
  type: 'button',
  action_id: `${SLACK_ACTION_PREFIX}${action}`,
  text: { type: 'plain_text', text: label },
  value,
  ...(style ? { style } : {}),
});

/** An approval request, in the run's thread: what it covers, who may decide, and the buttons. */
export function approvalRequest(workflowId: string, a: PendingApproval, title: string): SlackMessage {
  const who = a.allowed === 'any approver' ? 'any approver' : a.allowed.join(', ');
  const fields = a.guards.slice(0, MAX_FIELDS).map((g) => ({
    type: 'mrkdwn',
    text: cut(`*${mrkdwnEscape(g.stepId)}* (\`${g.action}\`)\n${mrkdwnEscape(JSON.stringify(g.inputs))}`, FIELD_MAX),
  }));
  const value = buttonValue(workflowId, a.stepId, a.requestedAt);
  return {
    text: `Approval needed: ${a.stepId} of ${title} (${workflowId})`,
    blocks: [
      section(
        `:raised_hand: *Approval needed*${a.retroactive ? ' (after an emergency change)' : ''}: ` +
          `\`${mrkdwnEscape(a.stepId)}\` of *${mrkdwnEscape(title)}*\n${mrkdwnEscape(a.message)}`,
        'request',
      ),
      ...(fields.length ? [{ type: 'section', block_id: 'covers', fields }] : []),
      context(
        `Needs ${a.required} approval${a.required === 1 ? '' : 's'} from ${mrkdwnEscape(who)}` +
          (a.approvals.length ? `; given by ${mrkdwnEscape(a.approvals.map((x) => x.actor).join(', '))}` : '') +
          (a.deadline ? `; deadline ${a.deadline}` : ''),
      ),
      {
        type: 'actions',
        block_id: cut(`approval:${a.stepId}:${a.requestedAt}`, BLOCK_ID_MAX),
        elements: [button('approve', 'Approve', value, 'primary'), button('reject', 'Reject', value, 'danger')],
      },
    ],
  };
}

/** A paused step, in the run's thread: the error and Retry / Skip / Abort. */
export function pausedStep(workflowId: string, p: PendingStepDecision, title: string): SlackMessage {
  const value = buttonValue(workflowId, p.stepId);
  return {
    text: `Paused: ${p.stepId} of ${title} failed and waits (${workflowId})`,
    blocks: [
      section(
        `:double_vertical_bar: *Paused*: \`${mrkdwnEscape(p.stepId)}\` of *${mrkdwnEscape(title)}* failed\n` +
          `> ${mrkdwnEscape(cut(p.error.message, 500))}`,
        'paused',
      ),
      context(`Decide by ${p.deadline}`),
      {
        type: 'actions',
        block_id: cut(`pause:${p.stepId}:${p.requestedAt}`, BLOCK_ID_MAX),
        elements: [
          button('retry', 'Retry', value, 'primary'),
          button('skip', 'Skip', value),
          button('abort', 'Abort', value, 'danger'),
        ],
      },
    ],
  };
}

/** A request once it no longer waits: its buttons gone, what came of it said. */
export function settled(request: SlackMessage, outcome: string): SlackMessage {
  return {
    text: `${request.text}: ${outcome}`,
    blocks: [...request.blocks.filter((b) => b.type !== 'actions'), context(mrkdwnEscape(outcome))],
  };
}

/** The step an incident's buttons name: they are about the incident, not a step. */
export const INCIDENT_BUTTON_STEP = 'incident';

/** A page: who is paged and why, with Acknowledge and Escalate now. */
export function incidentPage(workflowId: string, text: string): SlackMessage {
  const value = buttonValue(workflowId, INCIDENT_BUTTON_STEP);
  return {
    text: cut(text, SECTION_MAX),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: cut(mrkdwnEscape(text), SECTION_MAX) } },
      {
        type: 'actions',
        block_id: cut(`incident:${workflowId}`, BLOCK_ID_MAX),
        elements: [button('ack', 'Acknowledge', value, 'primary'), button('escalate', 'Escalate now', value, 'danger')],
      },
    ],
  };
}
