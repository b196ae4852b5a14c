/**
 * A run's live Slack message (`announce: { target }`): posted when the run starts, updated in
 * place as its phase and steps change; approval requests and paused steps go to its thread with
 * their buttons, and lose them once decided; mutating steps and failures are noted there too.
 *
 * It follows the run and never leads it: each change marks the message stale, one sync at a time
 * sends the latest state (many changes while a call is out become one update), and a call that
 * fails is noted and dropped. Only the end waits, for the final state, in a scope a cancel cannot
 * interrupt. No patch: runs carry their definition, so only runs started with `announce` do this.
 */
import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { JsonObject, RetrySpec } from '../../shared/model';
import {
  approvalRequest,
  pausedStep,
  runCard,
  settled,
  type SlackBlock,
  type SlackMessage,
} from '../../shared/slack-blocks';
import { FINAL_PHASES, type RunStatus } from '../../shared/status';
import { callActivity } from '../kit';
import { noticeEvent, outcomeOf, sameBlocks } from './announce-parts';

const RETRY: RetrySpec = { maxAttempts: 5, initialIntervalMs: 1000, backoff: 2, maxIntervalMs: 30_000 };
/** Threads kept track of; a run with more requests than this stops adding to its thread. */
const MAX_THREAD = 100;

interface ThreadMessage {
  message: SlackMessage;
  ts?: string;
  done: boolean;
}

export class RunAnnouncer {
  private card?: { channel: string; ts: string };
  private syncing?: Promise<void>;
  private stale = false;
  private calls = 0;
  private readonly thread = new Map<string, ThreadMessage>();
  private readonly noted = new Set<string>();

  constructor(
    private readonly status: () => RunStatus,
    private readonly target: string,
    private readonly runbookId: string,
  ) {}

  /** The run changed: sync soon, without waiting. */
  changed(): void {
    this.stale = true;
    this.syncing ??= this.loop();
  }

  /** At the end: the final state sent (or given up on) before the run closes. */
  async settle(): Promise<void> {
    this.changed();
    await this.syncing;
  }

  private async loop(): Promise<void> {
    try {
      while (this.stale) {
        this.stale = false;
        await CancellationScope.nonCancellable(() => this.sync());
      }
    } finally {
      this.syncing = undefined;
    }
  }

  private async sync(): Promise<void> {
    const status = this.status();
    const workflowId = workflowInfo().workflowId;
    const card = runCard(status, workflowId);
    const event = noticeEvent(FINAL_PHASES.has(status.phase) ? 'run_finished' : 'run_started', status);
    if (!this.card) {
      const posted = await this.call('notify:slack:post', {
        text: card.text,
        blocks: card.blocks,
        key: 'announce',
        event,
      });
      if (!posted) return;
      this.card = { channel: posted.channel as string, ts: posted.ts as string };
    } else {
      await this.call('notify:slack:update', {
        channel: this.card.channel,
        ts: this.card.ts,
        text: card.text,
        blocks: card.blocks,
        event,
      });
    }
    await this.syncThread(status, workflowId);
  }

  private async syncThread(status: RunStatus, workflowId: string): Promise<void> {
    const title = status.runbook.title;
    const open = new Set<string>();
    for (const a of status.pendingApprovals) {
      const key = `approval:${a.stepId}:${a.requestedAt}`;
      open.add(key);
      await this.request(
        key,
        approvalRequest(workflowId, a, title),
        noticeEvent('approval_requested', status, a.stepId),
      );
    }
    for (const p of status.pendingStepDecisions) {
      const key = `pause:${p.stepId}:${p.requestedAt}`;
      open.add(key);
      await this.request(
        key,
        pausedStep(workflowId, p, title),
        noticeEvent('step_paused', status, p.stepId, { error: p.error.message }),
      );
    }
    for (const [key, t] of this.thread) {
      if (open.has(key) || t.done || !t.ts) continue;
      t.done = true;
      const outcome = outcomeOf(status, key);
      const done = settled(t.message, outcome);
      const stepId = key.split(':')[1] ?? '';
      await this.call('notify:slack:update', {
        channel: this.card?.channel ?? '',
        ts: t.ts,
        text: done.text,
        blocks: done.blocks,
        ...(key.startsWith('approval:')
          ? { event: noticeEvent('approval_decided', status, stepId, undefined, outcome) }
          : {}),
      });
    }
    for (const s of status.steps) {
      const worth = s.state === 'failed' || (s.mutating && s.state === 'succeeded');
      const key = `${s.id}:${s.state}:${s.attempts}`;
      if (!worth || this.noted.has(key) || this.noted.size >= MAX_THREAD) continue;
      this.noted.add(key);
      const line =
        s.state === 'failed'
          ? `:x: \`${s.id}\` failed: ${s.error?.message ?? ''}`
          : `:white_check_mark: \`${s.id}\` changed ${s.outputSummary ?? ''}`;
      await this.reply(`step/${key}`, { text: line.slice(0, 3000) });
    }
  }

  /** A request in the thread: posted once, updated when it changes (approvals given so far). */
  private async request(key: string, message: SlackMessage, event: JsonObject): Promise<void> {
    const known = this.thread.get(key);
    if (known) {
      if (!known.ts || (known.message.text === message.text && sameBlocks(known.message, message))) return;
      known.message = message;
      await this.call('notify:slack:update', {
        channel: this.card?.channel ?? '',
        ts: known.ts,
        text: message.text,
        blocks: message.blocks,
        event,
      });
      return;
    }
    if (this.thread.size >= MAX_THREAD) return;
    const t: ThreadMessage = { message, done: false };
    this.thread.set(key, t);
    const posted = await this.reply(key, { text: message.text, blocks: message.blocks, event });
    if (posted) t.ts = posted.ts as string;
  }

  private reply(
    key: string,
    m: { text: string; blocks?: SlackBlock[]; event?: JsonObject },
  ): Promise<JsonObject | undefined> {
    if (!this.card) return Promise.resolve(undefined);
    return this.call('notify:slack:post', { ...m, threadTs: this.card.ts, key: `announce/${key}`, runLink: false });
  }

  private async call(
    action: 'notify:slack:post' | 'notify:slack:update',
    input: JsonObject,
  ): Promise<JsonObject | undefined> {
    try {
      const r = await callActivity(
        action,
        { target: this.target, ...input },
        {
          id: `announce-${++this.calls}`,
          action,
          retry: RETRY,
          timeoutMs: 30_000,
          runbookId: this.runbookId,
          dryRun: false,
        },
      );
      return r.output as JsonObject;
    } catch (err) {
      // The run goes on whatever Slack says; the first reason is shown in the status.
      const announce = this.status().announce;
      if (announce && announce.problem === undefined) announce.problem = (err as Error).message.slice(0, 300);
      return undefined;
    }
  }
}
