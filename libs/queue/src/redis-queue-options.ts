import type { ConnectionOptions } from 'bullmq';

/** Where a queue lives: a Redis URL, a key prefix and a queue name (tests use their own). */
export interface RedisQueueOptions {
  /** VERILAY_REDIS_URL, e.g. redis://127.0.0.1:6379. */
  readonly url: string;
  /** Key prefix of every queue (default `verilay`). */
  readonly prefix?: string;
  /** Queue name (default `replay`). */
  readonly queue?: string;
}

export const DEFAULT_PREFIX = 'verilay';
export const REPLAY_QUEUE = 'replay';

/**
 * BullMQ's connection for a URL. No limit on retries per command: while Redis is down (a restart)
 * commands wait for the reconnection (ioredis reconnects by itself) instead of failing, so a
 * producer or a worker rides out a restart without a supervisor.
 */
export function connectionOf(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true };
}

export function queueNames(options: RedisQueueOptions): { prefix: string; queue: string } {
  return { prefix: options.prefix ?? DEFAULT_PREFIX, queue: options.queue ?? REPLAY_QUEUE };
}

const percent = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * A replay job's id as a BullMQ job id. BullMQ refuses ids with ':' (the watcher's are
 * `<claim>:<input hash>`) and ids that read as integers, so ':' and '%' are percent-encoded, and
 * an integer's first character too: a valid percent-encoding, so distinct ids stay distinct.
 */
export function bullJobId(id: string): string {
  const safe = id.replace(/[%:]/g, percent);
  return /^-?\d+$/.test(safe) ? percent(safe[0]) + safe.slice(1) : safe;
}
