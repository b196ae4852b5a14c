/**
 * Builds the process's event publisher from its configuration: a no-op unless events are enabled
 * and Redis is configured (the embedded default needs no Redis), else an ioredis client set so
 * that nothing buffers behind our back and a publisher over it.
 */
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { eventsActive, type EventsConfig } from '../config/events';
import { createEventPublisher, createNoopPublisher, type EventPublisher } from './publisher';

export interface OpenEventsInput {
  config: EventsConfig;
  registry: Registry;
  /** Told once per outage (the first error after a connection was ready), not on every retry. */
  onError?: (err: Error) => void;
  /** Longest wait between reconnect attempts. @default 5000 */
  reconnectMaxDelayMs?: number;
  /** The clock events are stamped with. @default () => new Date() */
  now?: () => Date;
}

export function openEventPublisher(input: OpenEventsInput): EventPublisher {
  const { config } = input;
  if (!eventsActive(config)) return createNoopPublisher();
  const maxDelay = input.reconnectMaxDelayMs ?? 5000;
  const redis = new Redis(config.redisUrl, {
    db: config.db,
    // Our buffer is the only one, and it is bounded: ioredis's offline queue is not.
    enableOfflineQueue: false,
    // Commands caught by a dropped connection fail at once and the publisher resends them in
    // order, rather than ioredis replaying them after newer ones.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Doubling from 50 ms to the cap, with jitter so that many workers do not reconnect in step.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 16), maxDelay) + Math.floor(Math.random() * 50),
    connectTimeout: 5000,
  });
  let healthy = true;
  redis.on('ready', () => (healthy = true));
  // An 'error' listener is required (ioredis prints unhandled ones); one report per outage.
  redis.on('error', (err: Error) => {
    if (healthy) input.onError?.(err);
    healthy = false;
  });
  return createEventPublisher({
    redis,
    registry: input.registry,
    config,
    ...(input.onError ? { onError: input.onError } : {}),
    ...(input.now ? { now: input.now } : {}),
  });
}
