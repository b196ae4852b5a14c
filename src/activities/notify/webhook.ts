/**
 * Webhook notifications. Targets (URL, headers, named secrets) come from configuration, so
 * neither the runbook nor the run history ever holds an address with a token in it.
 */
import { FAILURE } from '../../shared/failures';
import type { NotifyWebhookInput, NotifyWebhookResult } from '../../catalog/notify';
import type { StepContext } from '../../shared/activity-types';
import { ApplicationFailure } from '@temporalio/common';
import { permanent } from '../errors';
import type { EgressGuard } from '../egress';
import { readCapped, safeFetch } from '../safe-fetch';
import { buildHeaders, type SecretResolver } from '../secrets';
import type { WebhookTarget } from '../../config/load';

/** A receiver's answer is only drained (nothing of it is kept): no more than this is read. */
const MAX_ANSWER_BYTES = 16 * 1024;

export interface NotifyWebhookDeps {
  fetch: typeof globalThis.fetch;
  secrets: SecretResolver;
  egress: EgressGuard;
  targets: Readonly<Record<string, WebhookTarget>>;
  /** Link to the run in the Web UI, for the message. */
  runUrl: (workflowId: string) => string;
}

/** The JSON body receivers get: stable field names, documented in docs/notifications.md. */
export interface WebhookNotification {
  text: string;
  title?: string;
  severity?: string;
  fields?: Record<string, unknown>;
  runbook: string;
  run: { workflowId: string; step: string; url: string };
}

export function createNotifyWebhookActivities(deps: NotifyWebhookDeps) {
  async function notifyWebhook(input: NotifyWebhookInput, ctx: StepContext): Promise<NotifyWebhookResult> {
    const target = Object.prototype.hasOwnProperty.call(deps.targets, input.target)
      ? deps.targets[input.target]
      : undefined;
    if (!target) {
      throw permanent(
        `no webhook target '${input.target}' in configuration (known: ${Object.keys(deps.targets).join(', ') || 'none'})`,
        FAILURE.UnknownTarget,
      );
    }
    const url = target.url ?? (target.urlSecret ? await deps.secrets.resolve(target.urlSecret) : undefined);
    if (!url) throw permanent(`webhook target '${input.target}' has no url`, FAILURE.InvalidInput);
    const body: WebhookNotification = {
      text: input.message,
      ...(input.title ? { title: input.title } : {}),
      ...(input.severity ? { severity: input.severity } : {}),
      ...(input.fields ? { fields: input.fields } : {}),
      runbook: ctx.runbookId,
      run: { workflowId: ctx.workflowId, step: ctx.stepId, url: deps.runUrl(ctx.workflowId) },
    };
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
    await readCapped(res, MAX_ANSWER_BYTES);
    if (res.ok) return { target: input.target, status: res.status, delivered: true };
    const message = `webhook '${input.target}' answered ${res.status}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw permanent(message, FAILURE.HttpClientError);
    throw ApplicationFailure.retryable(
      message,
      res.status >= 500 ? FAILURE.HttpServerError : FAILURE.HttpUnexpectedStatus,
    );
  }
  return { notifyWebhook };
}
