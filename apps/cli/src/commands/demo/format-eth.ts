import { formatEther } from 'viem';

/**
 * An amount of wei in ETH, rounded to `decimals` places (half away from zero) with trailing zeros
 * dropped: 0.049261509082087225 -> 0.0493, 10^18 -> 1. Exact (bigint), for gains and losses alike.
 */
export function formatEth(wei: bigint, decimals = 4): string {
  const unit = 10n ** BigInt(18 - decimals);
  const magnitude = wei < 0n ? -wei : wei;
  const rounded = ((magnitude + unit / 2n) / unit) * unit;
  const text = formatEther(rounded);
  return wei < 0n && rounded !== 0n ? `-${text}` : text;
}
