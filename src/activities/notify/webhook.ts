/**
 * Webhook notifications. Targets (URL, headers, named secrets) come from configuration, so
 * neither the runbook nor the run history ever holds an address with a token in it.
 */
import { FAILURE } from '../../shared/failures';
import type { NotifyWebhookInput, NotifyWebhookResult } from '../../catalog/notify';
import type { StepContext } from '../../shared/activity-types';
import { permanent } from '../errors';
import { readCapped, safeFetch } from '../safe-fetch';
import { buildHeaders } from '../secrets';
import { retryLater } from './retry-after';
import type { WebhookTarget } from '../../config/load';
import type { NotifyDeps } from './targets';

/** A receiver's answer is only drained (nothing of it is kept): no more than this is read. */
const MAX_ANSWER_BYTES = 16 * 1024;

/** The JSON body receivers get: stable field names, documented in docs/notifications.md. */
export interface WebhookNotification {
  text: string;
  title?: string;
  severity?: string;
  fields?: Record<string, unknown>;
  runbook: string;
  run: { workflowId: string; step: string; url: string };
}

export function createWebhookSender(deps: Omit<NotifyDeps, 'targets'>) {
  /** POSTs `body` as JSON to a webhook target (the dev inbox is one); any 2xx is delivered. */
  async function postJson(name: string, target: WebhookTarget, body: unknown, ctx: StepContext): Promise<number> {
    const url = target.url ?? (target.urlSecret ? await deps.secrets.resolve(target.urlSecret) : undefined);
    if (!url) throw permanent(`webhook target '${name}' has no url`, FAILURE.InvalidInput);
    const headers = {
      'Content-Type': 'application/json',
      'Idempotency-Key': ctx.idempotencyKey,
      ...(await buildHeaders(deps.secrets, target.headers, target.secretHeaders, url)),
    };
    // A URL from a secret is a credential too: no redirect takes the request elsewhere.
    const res = await safeFetch(deps, {
      url,
      init: { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) },
      carriesSecrets: target.urlSecret !== undefined || Object.keys(target.secretHeaders ?? {}).length > 0,
    });
    // Drained so the connection is reused; a longer answer is cut off (and its connection closed).
    const { text } = await readCapped(res, MAX_ANSWER_BYTES);
    if (res.ok) return res.status;
    const message = `webhook '${name}' answered ${res.status}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      // The receiver's own words, short: why it refused is what the on-call engineer needs.
      throw permanent(text.trim() ? `${message}: ${text.trim().slice(0, 300)}` : message, FAILURE.HttpClientError);
    throw retryLater(message, res.status, res.headers);
  }

  async function notifyWebhook(
    name: string,
    target: WebhookTarget,
    input: NotifyWebhookInput,
    ctx: StepContext,
  ): Promise<NotifyWebhookResult> {
    const body: WebhookNotification = {
      text: input.message,
      ...(input.title ? { title: input.title } : {}),
      ...(input.severity ? { severity: input.severity } : {}),
      ...(input.fields ? { fields: input.fields } : {}),
      runbook: ctx.runbookId,
      run: { workflowId: ctx.workflowId, step: ctx.stepId, url: deps.runUrl(ctx.workflowId) },
    };
    return { target: name, status: await postJson(name, target, body, ctx), delivered: true };
  }
  return { postJson, notifyWebhook };
}
