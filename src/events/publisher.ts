/**
 * Publishes operational events to Redis without ever holding up or failing the caller: `publish`
 * stamps the event, appends it to a bounded in-memory buffer and returns; a single drain loop
 * sends the buffer in order (PUBLISH for live subscribers, XADD for the stream) whenever the
 * connection is ready. While Redis is unreachable the buffer holds the newest `bufferLimit`
 * events; beyond that the oldest are dropped and counted, since a run must never wait on them.
 */
import type { Registry } from 'prom-client';
import { ReplyError, type Redis } from 'ioredis';
import { encodeEvent, stampEvent, STREAM_FIELD, type EventInput } from './contract';
import type { EventsConfig } from '../config/events';
import { eventMetrics } from './metrics';

/** The calls this uses of an ioredis client (created with `enableOfflineQueue: false`). */
export type EventRedis = Pick<Redis, 'status' | 'pipeline' | 'on' | 'quit' | 'disconnect'>;

export interface EventPublisher {
  /** Queues one event; never throws, never waits. */
  publish(event: EventInput): void;
  /** Stops taking events, sends what it can before the deadline, then closes the connection. */
  close(input?: CloseInput): Promise<CloseResult>;
  /** For health checks and logs: whether Redis is reachable now, and what waits for it. */
  health(): PublisherHealth;
}

export interface PublisherHealth {
  /** The connection is ready (a no-op publisher says false). */
  connected: boolean;
  /** Events held in memory, including those being sent. */
  buffered: number;
}

export interface CloseInput {
  /** How long to keep trying to send what is buffered. @default 2000 */
  deadlineMs?: number;
}

export interface CloseResult {
  /** Events sent while closing. */
  delivered: number;
  /** Events still unsent at the deadline, dropped (counted with reason `closed`). */
  dropped: number;
}

export interface PublisherDeps {
  redis: EventRedis;
  /** Where the publisher's metrics go (never prom-client's global registry). */
  registry: Registry;
  config: Pick<EventsConfig, 'channel' | 'streamKey' | 'streamMaxLen' | 'bufferLimit'>;
  /** @default () => new Date() */
  now?: () => Date;
  /** Told of a failed send or an event that could not be encoded; publishing goes on. */
  onError?: (err: Error) => void;
}

/** Why an event was dropped, the `reason` label of the dropped counter. */
export type DropReason = 'overflow' | 'rejected' | 'invalid' | 'closed';

/** Events per pipeline: one round trip for a backlog, small enough to requeue cheaply. */
const BATCH = 100;

export function createEventPublisher(deps: PublisherDeps): EventPublisher {
  const { redis, config } = deps;
  const now = deps.now ?? (() => new Date());
  const report = (err: unknown): void => deps.onError?.(err instanceof Error ? err : new Error(String(err)));
  const metrics = eventMetrics(deps.registry);

  let buffer: string[] = [];
  let inFlight = 0;
  let draining = false;
  let closed = false;
  let delivered = 0;
  // Bumped on every (re)connect, so a drain that failed can tell whether a reconnect already happened.
  let readyEpoch = 0;
  let idleWaiters: Array<() => void> = [];

  const drop = (reason: DropReason, n = 1): void => {
    if (n > 0) metrics.dropped.inc({ reason }, n);
  };
  const settle = (): void => {
    metrics.buffered.set(buffer.length + inFlight);
    if (buffer.length === 0 && inFlight === 0) {
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    }
  };
  // The in-flight batch may yet be delivered, so the oldest events not in flight go first.
  const trim = (): void => {
    const over = buffer.length + inFlight - config.bufferLimit;
    if (over > 0) {
      buffer.splice(0, over);
      drop('overflow', over);
    }
  };

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (buffer.length > 0 && redis.status === 'ready') {
        const batch = buffer.splice(0, BATCH);
        inFlight = batch.length;
        const epoch = readyEpoch;
        const sent = await send(batch);
        inFlight = 0;
        if (sent < batch.length) {
          // Not sent from `sent` on: back at the front, in order, within the bound.
          buffer = batch.slice(sent).concat(buffer);
          trim();
          settle();
          if (readyEpoch === epoch) return; // the 'ready' after the reconnect drains again
        } else settle();
      }
    } finally {
      draining = false;
      settle();
    }
  }

  /** Sends a batch in one pipeline; answers how many from the start were delivered or refused for good. */
  async function send(batch: string[]): Promise<number> {
    let results: Array<[Error | null, unknown]> | null;
    try {
      const p = redis.pipeline();
      for (const text of batch)
        p.publish(config.channel, text).xadd(
          config.streamKey,
          'MAXLEN',
          '~',
          String(config.streamMaxLen),
          '*',
          STREAM_FIELD,
          text,
        );
      results = await p.exec();
    } catch (err) {
      report(err);
      return 0;
    }
    if (!results) return 0;
    for (let i = 0; i < batch.length; i++) {
      const errors = [results[2 * i]?.[0], results[2 * i + 1]?.[0]].filter(
        (e): e is Error => e !== null && e !== undefined,
      );
      // A reply error is Redis refusing the command (a key of another type, say): resending cannot help.
      const transport = errors.find((e) => !(e instanceof ReplyError));
      if (transport) {
        report(transport);
        return i;
      }
      if (errors.length > 0) {
        report(errors[0]);
        drop('rejected');
      } else {
        delivered += 1;
        metrics.published.inc();
      }
    }
    return batch.length;
  }

  redis.on('ready', () => {
    readyEpoch += 1;
    void drain();
  });

  return {
    publish(input) {
      try {
        if (closed) return drop('closed');
        buffer.push(encodeEvent(stampEvent(input, now())));
        trim();
        settle();
        void drain();
      } catch (err) {
        // JSON.stringify throws on a cycle or a BigInt; the event is lost, the caller is not.
        drop('invalid');
        report(err);
      }
    },

    async close(input = {}) {
      closed = true;
      const before = delivered;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, input.deadlineMs ?? 2000)));
      const idle = new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
      void drain();
      await Promise.race([idle, deadline]);
      const left = buffer.length + inFlight;
      drop('closed', left);
      buffer = [];
      settle();
      try {
        // QUIT lets Redis answer what is in flight; past the deadline the socket is simply closed.
        if (redis.status === 'ready') await Promise.race([redis.quit().catch(report), deadline]);
      } catch (err) {
        report(err);
      } finally {
        clearTimeout(timer);
        redis.disconnect();
      }
      return { delivered: delivered - before, dropped: left };
    },

    health: () => ({ connected: redis.status === 'ready', buffered: buffer.length + inFlight }),
  };
}

/** A publisher for when events are off: takes everything, sends nothing. */
export function createNoopPublisher(): EventPublisher {
  return {
    publish: () => undefined,
    close: () => Promise.resolve({ delivered: 0, dropped: 0 }),
    health: () => ({ connected: false, buffered: 0 }),
  };
}
