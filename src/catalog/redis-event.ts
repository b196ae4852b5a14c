/**
 * `notify:redis:publish`: a runbook's own operational event, `runbook_event` on the seed's
 * Pub/Sub channel and the events stream (docs/events.md), through a `kind: redis` target.
 */
import { z } from 'zod';
import { FAILURE } from '../shared/failures';
import type { CatalogEntry } from './types';

export const notifyRedisPublishInput = z
  .object({
    target: z.string().min(1).describe('A `kind: redis` target named in configuration (notify.targets).'),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, 'snake_case, as event types are')
      .describe("The event's name in the payload, e.g. `deploy_verified`."),
    text: z.string().max(4000).optional(),
    severity: z.string().max(32).optional(),
    data: z.record(z.string(), z.json()).optional().describe('Any JSON object, passed to consumers as is.'),
  })
  .strict();
export type NotifyRedisPublishInput = z.infer<typeof notifyRedisPublishInput>;

export const notifyRedisPublishOutput = z.object({
  target: z.string(),
  eventType: z.literal('runbook_event'),
  /** Handed to the worker's publisher, which sends it when Redis is reachable (it never blocks a run). */
  queued: z.boolean(),
});
export type NotifyRedisPublishResult = z.infer<typeof notifyRedisPublishOutput>;

export const notifyRedisPublish: CatalogEntry<
  typeof notifyRedisPublishInput,
  typeof notifyRedisPublishOutput,
  'notify:redis:publish'
> = {
  id: 'notify:redis:publish',
  description:
    'Publish an operational event (`runbook_event`, with the run, the step, a name and data) on the Redis channel ' +
    'and stream of docs/events.md, through a configured redis target. Queued, never blocking the run.',
  input: notifyRedisPublishInput,
  output: notifyRedisPublishOutput,
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [FAILURE.InvalidInput, FAILURE.UnknownTarget, FAILURE.TargetKindUnsupported],
  describe: (i) => `event ${i.name} to ${i.target}`,
  example: { with: { target: 'events', name: 'deploy_verified', data: { service: 'checkout', version: '1.4.2' } } },
};
