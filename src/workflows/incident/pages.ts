/**
 * Paging: who a level is at the moment of the page (the on-call primary or secondary, asked of
 * the worker then, or the level's named people), and the page sent to every page channel naming
 * them. A Slack channel's page carries Acknowledge and Escalate buttons.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { IncidentDefinition } from '../../shared/incident-messages';
import type { PageStep } from '../../shared/paging-plan';
import { incidentPage } from '../../shared/slack-blocks';
import type { IncidentBook } from './book';
import type { IncidentSender } from './send';

const { incidentOnCall } = proxyActivities<Pick<Activities, 'incidentOnCall'>>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5 },
  summary: 'who is on call',
});

export class Pager {
  constructor(
    private readonly def: IncidentDefinition,
    private readonly book: IncidentBook,
    private readonly sender: IncidentSender,
  ) {}

  /** The people of a level now. */
  async people(level: string): Promise<string[]> {
    const l = this.def.policy.levels.find((x) => x.name === level);
    if (!l) return [];
    if ('people' in l.who) return l.who.people;
    const { who } = await incidentOnCall({ role: l.who.oncall, atMs: Date.now() });
    return who ? [who] : [];
  }

  /** Pages a level: the timeline says who and why, or that nobody holds it. */
  async page(step: Pick<PageStep, 'level' | 'why'>, by = 'system'): Promise<string[]> {
    const r = this.book.record;
    const who = await this.people(step.level);
    if (who.length === 0) {
      this.book.add(
        'page',
        by,
        `${step.level}: nobody to page (no one on call, or the level names nobody)`,
        by !== 'system',
      );
      return [];
    }
    const text =
      `[${r.severity}] ${r.title} (${r.id}): paging ${step.level} ${who.join(', ')} (${step.why}). ` +
      `Acknowledge: runbook incidents ack ${workflowInfo().workflowId}`;
    const sent: string[] = [];
    for (const { target, kind } of this.def.channels.page) {
      const ok =
        kind === 'slack'
          ? await this.sender.send('page', 'notify:slack:post', {
              target,
              ...incidentPage(workflowInfo().workflowId, text),
            } as never)
          : await this.sender.notify('page', target, text, r.severity === 'sev1' ? 'critical' : 'warning');
      if (ok) sent.push(target);
    }
    const where = sent.length
      ? ` via ${sent.join(', ')}`
      : this.def.channels.page.length
        ? ' (no channel took it)'
        : '';
    this.book.add('page', by, `paged ${step.level} ${who.join(', ')}: ${step.why}${where}`, by !== 'system');
    return who;
  }
}
