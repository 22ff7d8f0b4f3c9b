// Formatting for tables: ids, times, countdowns, amounts.

/** 0x1234…abcd */
export const short = (hex) =>
  typeof hex === 'string' && hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : (hex ?? '—');

/** "12:03:04" local time, or — */
export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '—');

/** "1h 02m 03s", "4m 05s", "9s"; "closed" at or below 0. */
export function countdown(ms) {
  if (ms <= 0) return 'closed';
  const s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  if (h) return `${h}h ${pad(m)}m ${pad(s % 60)}s`;
  if (m) return `${m}m ${pad(s % 60)}s`;
  return `${s}s`;
}

/** wei (decimal string or bigint) as ETH with at most 4 decimals. */
export function eth(wei) {
  if (wei === null || wei === undefined) return '—';
  const v = BigInt(wei);
  const whole = v / 10n ** 18n;
  const frac = ((v % 10n ** 18n) * 10000n) / 10n ** 18n;
  return frac ? `${whole}.${String(frac).padStart(4, '0').replace(/0+$/, '')} ETH` : `${whole} ETH`;
}

/** "1 dispute", "3 disputes". */
export const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
