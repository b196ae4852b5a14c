/**
 * The ticket actions (postmortems and their action items) over every ticket target kind: each
 * action takes a target by name from configuration (`tickets.targets`) and does what its kind's
 * API does; the wire formats are ./github.ts and ./jira.ts.
 */
import type {
  TicketIssueCloseInput,
  TicketIssueCloseResult,
  TicketIssueCommentInput,
  TicketIssueCommentResult,
  TicketIssueCreateInput,
  TicketIssueCreateResult,
} from '../../catalog/tickets';
import type { TicketTarget } from '../../config/tickets-schema';
import { FAILURE } from '../../shared/failures';
import type { StepContext } from '../../shared/activity-types';
import type { EgressGuard } from '../egress';
import { permanent } from '../errors';
import type { SecretResolver } from '../secrets';
import { createGithubTickets } from './github';
import { createJiraTickets } from './jira';

export { adfOf, jiraKeyLabel } from './jira';
export { githubMarker } from './github';

export interface TicketDeps {
  fetch: typeof globalThis.fetch;
  secrets: SecretResolver;
  egress: EgressGuard;
  /** Ticket targets by name (`AppConfig.ticketTargets`, defaults applied). */
  targets: Readonly<Record<string, TicketTarget>>;
}

/** The ticket target configured under `name`, or a permanent failure listing the known ones. */
export function ticketTargetNamed(targets: Readonly<Record<string, TicketTarget>>, name: string): TicketTarget {
  const t = Object.prototype.hasOwnProperty.call(targets, name) ? targets[name] : undefined;
  if (!t)
    throw permanent(
      `no ticket target '${name}' in configuration (known: ${Object.keys(targets).join(', ') || 'none'})`,
      FAILURE.UnknownTarget,
    );
  return t;
}

export function createTicketActivities(deps: TicketDeps) {
  const github = createGithubTickets(deps);
  const jira = createJiraTickets(deps);

  async function ticketIssueCreate(input: TicketIssueCreateInput, ctx: StepContext): Promise<TicketIssueCreateResult> {
    const target = ticketTargetNamed(deps.targets, input.target);
    // The same on every retry of the step: what finds the issue a lost answer opened.
    const key = input.key ?? ctx.idempotencyKey;
    const opened =
      target.kind === 'github'
        ? await github.create(input.target, target, input, key)
        : await jira.create(input.target, target, input, key);
    return { target: input.target, kind: target.kind, ...opened };
  }

  async function ticketIssueComment(
    input: TicketIssueCommentInput,
    ctx: StepContext,
  ): Promise<TicketIssueCommentResult> {
    const target = ticketTargetNamed(deps.targets, input.target);
    const commentId =
      target.kind === 'github'
        ? await github.comment(input.target, target, input.id, input.body, ctx.idempotencyKey)
        : await jira.comment(input.target, target, input.id, input.body);
    return { target: input.target, id: input.id, commentId };
  }

  async function ticketIssueClose(input: TicketIssueCloseInput, _ctx: StepContext): Promise<TicketIssueCloseResult> {
    const target = ticketTargetNamed(deps.targets, input.target);
    const changed =
      target.kind === 'github'
        ? await github.close(input.target, target, input.id, input.reason)
        : await jira.close(input.target, target, input.id);
    return { target: input.target, id: input.id, changed };
  }

  return { ticketIssueCreate, ticketIssueComment, ticketIssueClose };
}
