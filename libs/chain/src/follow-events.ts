import { readClaimsEvents, type ClaimsEvent } from './actions/read-events';
import type { ChainClients } from './chain-clients';
import type { VerilayDeployment } from './deployment';

export interface FollowOptions {
  /** First block to read. */
  readonly fromBlock: bigint;
  /** Blocks behind the head to stay (reorg safety); default 0 (anvil does not reorg by itself). */
  readonly confirmations?: number;
  readonly pollMs?: number;
  /** Most blocks per eth_getLogs call. */
  readonly maxRange?: bigint;
  /** Handles the events of [from, to]; the cursor advances only after it resolves. */
  readonly onEvents: (events: readonly ClaimsEvent[], range: { from: bigint; to: bigint }) => Promise<void>;
  readonly onError?: (error: unknown) => void;
}

export interface EventFollower {
  /** The next block to read. */
  readonly cursor: bigint;
  /** Reads up to the current safe head now (also what each poll does). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Follows the claim contract's events by polling eth_getLogs from a cursor. A failing handler or
 * RPC error is reported and retried on the next poll; nothing is skipped.
 */
export function followClaimsEvents(
  clients: Pick<ChainClients, 'public'>,
  deployment: VerilayDeployment,
  options: FollowOptions,
): EventFollower {
  let cursor = options.fromBlock;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const maxRange = options.maxRange ?? 5_000n;
  const once = async () => {
    const head = await clients.public.getBlockNumber({ cacheTime: 0 });
    const safe = head - BigInt(options.confirmations ?? 0);
    while (!stopped && cursor <= safe) {
      const to = cursor + maxRange - 1n < safe ? cursor + maxRange - 1n : safe;
      const events = await readClaimsEvents(clients, deployment, cursor, to);
      await options.onEvents(events, { from: cursor, to });
      cursor = to + 1n;
    }
  };
  const poll = () => {
    running = running.then(once).catch((error) => options.onError?.(error));
    return running;
  };
  const timer = setInterval(() => void poll(), options.pollMs ?? 500);
  return {
    get cursor() {
      return cursor;
    },
    poll,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
