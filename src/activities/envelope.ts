/**
 * Turns a catalog entry plus its implementation into a Temporal activity speaking the common
 * envelope: inputs are checked against the entry's schema (bad input fails at once, typed
 * InvalidInput), failures are wrapped once with their attempt, durations are measured.
 */
import { FAILURE } from '../shared/failures';
import { Context } from '@temporalio/activity';
import type { z } from 'zod';
import type { CatalogEntry } from '../catalog/types';
import type { ActionInput, ActionResult, StepContext } from '../shared/activity-types';
import { ApplicationFailure } from '@temporalio/common';
import { permanent, wrapFailure } from './errors';
import type { Redactor } from './redact';

export interface StepMetrics {
  observeStep(labels: { action: string; outcome: 'success' | 'failure' }, seconds: number): void;
}

export type ActionImpl<E extends CatalogEntry> = (
  input: z.infer<E['input']>,
  ctx: StepContext,
) => Promise<z.infer<E['output']>>;

/**
 * Typed by the entry's schemas, so workflows calling an action through the kit are type-checked.
 * With a redactor (actions that resolve secrets), every secret value and URL credential is
 * replaced in the output and the failure message before either reaches history.
 */
export function envelope<E extends CatalogEntry>(
  entry: E,
  impl: ActionImpl<E>,
  metrics: StepMetrics,
  redact?: Redactor,
) {
  return async (env: ActionInput<z.input<E['input']>>): Promise<ActionResult<z.output<E['output']>>> => {
    const attempt = Context.current().info.attempt;
    const started = performance.now();
    const observe = (outcome: 'success' | 'failure'): void =>
      metrics.observeStep({ action: entry.id, outcome }, (performance.now() - started) / 1000);
    try {
      const parsed = entry.input.safeParse(env.input);
      if (!parsed.success) {
        const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
        throw permanent(`invalid input for ${entry.id}: ${detail}`, FAILURE.InvalidInput);
      }
      const output = await impl(parsed.data as z.infer<E['input']>, env.step);
      observe('success');
      return { output: redact ? redact.deep(output) : output, attempt };
    } catch (err) {
      observe('failure');
      const f = wrapFailure(err, attempt);
      if (!redact) throw f;
      throw ApplicationFailure.create({
        message: redact.text(f.message),
        type: f.type ?? 'Error',
        nonRetryable: f.nonRetryable === true,
        details: [...(f.details ?? [])],
        ...(f.cause ? { cause: new Error(redact.text(f.cause.message)) } : {}),
        ...(f.nextRetryDelay ? { nextRetryDelay: f.nextRetryDelay } : {}),
      });
    }
  };
}
