import { formatEth } from './format-eth';

describe(formatEth.name, () => {
  it('rounds to four decimals and drops trailing zeros, for gains and losses', () => {
    expect(formatEth(49_261_509_082_087_225n)).toBe('0.0493');
    expect(formatEth(10n ** 18n)).toBe('1');
    expect(formatEth(9n * 10n ** 17n)).toBe('0.9');
    expect(formatEth(-49_261_509_082_087_225n)).toBe('-0.0493');
    expect(formatEth(49_999_999_999_999_999n)).toBe('0.05');
    expect(formatEth(40_000_000_000_000n)).toBe('0'); // 0.00004 rounds to nothing
    expect(formatEth(-40_000_000_000_000n)).toBe('0');
    expect(formatEth(123_456_789n * 10n ** 10n, 2)).toBe('1.23');
  });
});
