import { readClaimsEvents, type ClaimsEvent } from './actions/read-events';
import type { ChainClients } from './chain-clients';
import type { VerilayDeployment } from './deployment';

export interface EventRangeOptions {
  /** First block to read (the caller's stored cursor). */
  readonly from: bigint;
  /** Last block to read (the head, or the head less the caller's confirmations). */
  readonly to: bigint;
  /** Most blocks per eth_getLogs call. */
  readonly maxRange?: bigint;
  /** Stops between ranges when it returns true (shutdown). */
  readonly stopped?: () => boolean;
}

/**
 * Reads the claim contract's events from `from` to `to` in ranges, in chain order, and hands each
 * range to `handle` before reading the next. The caller stores its cursor (`range.to + 1`) in
 * `handle`, with what the events taught it: a handler that throws stops the walk, and the next
 * call starts again at the first range not stored, so nothing is skipped. Returns the next block.
 */
export async function readEventRanges(
  clients: Pick<ChainClients, 'public'>,
  deployment: VerilayDeployment,
  options: EventRangeOptions,
  handle: (events: readonly ClaimsEvent[], range: { from: bigint; to: bigint }) => Promise<void>,
): Promise<bigint> {
  const maxRange = options.maxRange ?? 2_000n;
  let cursor = options.from;
  while (cursor <= options.to && !options.stopped?.()) {
    const to = cursor + maxRange - 1n < options.to ? cursor + maxRange - 1n : options.to;
    await handle(await readClaimsEvents(clients, deployment, cursor, to), { from: cursor, to });
    cursor = to + 1n;
  }
  return cursor;
}
