import { bondBudget } from './bond-budget';

describe(bondBudget.name, () => {
  const eth = 10n ** 18n;

  it('locks one bond per open dispute and counts the disputes the rest still pays for', () => {
    expect(bondBudget(eth, eth / 10n, 3)).toEqual({
      budget: eth,
      bond: eth / 10n,
      open: 3,
      locked: (3n * eth) / 10n,
      free: (7n * eth) / 10n,
      canOpen: 7,
    });
    expect(bondBudget(eth, (4n * eth) / 10n, 2).canOpen).toBe(0);
  });

  it('frees nothing when a smaller budget than the open disputes lock was configured after a restart', () => {
    expect(bondBudget(eth / 10n, eth / 10n, 2)).toMatchObject({
      locked: (2n * eth) / 10n,
      free: 0n,
      canOpen: 0,
    });
  });

  it('sets no limit when the contract asks no bond', () => {
    expect(bondBudget(0n, 0n, 5)).toMatchObject({ locked: 0n, free: 0n, canOpen: null });
  });
});
