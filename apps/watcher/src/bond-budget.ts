/**
 * The bond budget's state with `open` disputes each locking `bond` (WATCHER_BOND_BUDGET): what
 * is locked, what is free, and how many more disputes fit (null: the contract asks no bond). The
 * pursuer opens a dispute only while `canOpen` is not 0; the page shows the same figures.
 */
export function bondBudget(budget: bigint, bond: bigint, open: number) {
  const locked = BigInt(open) * bond;
  const free = budget > locked ? budget - locked : 0n;
  return { budget, bond, open, locked, free, canOpen: bond > 0n ? Number(free / bond) : null };
}
