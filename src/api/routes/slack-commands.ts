/**
 * `/runbook` slash commands: `status <run>` for anyone mapped, `start <runbook> key=value ...` and
 * `incident <severity> <service> <title...>` for operators (params as strings; the run service
 * coerces them as the API's start does).
 */
import { hasRole, type Principal } from '../auth';
import { RunError } from '../../runs/errors';
import type { RunService } from '../../runs/service';
import { runCard, type SlackBlock } from '../../shared/slack-blocks';

/** What Slack is answered: in the reply, or through response_url. */
export type Reply = {
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  text: string;
  blocks?: SlackBlock[];
};

/** An answer only the person who asked sees, leaving the message they acted on as it is. */
export const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', replace_original: false, text });

export async function slackCommand(words: string[], who: Principal, runs: RunService): Promise<Reply> {
  const [verb, subject, ...rest] = words;
  try {
    if (verb === 'status' && subject) {
      const d = await runs.get(subject);
      if (!d.run) return ephemeral(`${subject}: ${d.status.toLowerCase()} (no worker answered for its details)`);
      const card = runCard(d.run, d.workflowId);
      return { response_type: 'ephemeral', text: card.text, blocks: card.blocks };
    }
    if (verb === 'start' && subject) {
      if (!hasRole(who, 'operator')) return ephemeral(`${who.identity} lacks the operator role.`);
      const params: Record<string, string> = {};
      for (const kv of rest) {
        const at = kv.indexOf('=');
        if (at <= 0) return ephemeral(`expected key=value, got "${kv.slice(0, 100)}"`);
        params[kv.slice(0, at)] = kv.slice(at + 1);
      }
      const started = await runs.start({
        runbookId: subject,
        params,
        dryRun: false,
        trigger: { source: 'slack', requestedBy: who.identity },
      });
      return { response_type: 'in_channel', text: `${who.identity} started ${subject}: ${started.workflowId}` };
    }
    if (verb === 'incident' && subject) {
      if (!hasRole(who, 'operator')) return ephemeral(`${who.identity} lacks the operator role.`);
      const [service, ...title] = rest;
      if (!service || title.length === 0) return ephemeral('usage: /runbook incident <severity> <service> <title...>');
      const started = await runs.start({
        kind: 'incident',
        target: 'none',
        params: { severity: subject, service, title: title.join(' ') },
        trigger: { source: 'slack', requestedBy: who.identity },
      });
      return {
        response_type: 'in_channel',
        text: `${who.identity} opened an incident on ${service}: ${started.workflowId} (runbook incidents show ${started.workflowId})`,
      };
    }
  } catch (err) {
    if (err instanceof RunError) return ephemeral(err.field ? `${err.message} (${err.field})` : err.message);
    return ephemeral('durable-runbooks could not answer; try again');
  }
  return ephemeral(
    'usage: /runbook status <run id> | /runbook start <runbook> key=value ... | /runbook incident <severity> <service> <title...>',
  );
}
