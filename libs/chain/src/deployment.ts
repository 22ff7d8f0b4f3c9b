/** Where verilay's contracts live on one chain. */
export interface VerilayDeployment {
  readonly chainId: number;
  readonly registry: `0x${string}`;
  readonly claims: `0x${string}`;
  /** The block the claim contract was created in (event followers start there). */
  readonly deployBlock: bigint;
}

/** Deploy-time parameters of the claim contract (seconds and wei); bounds in docs/contracts.md. */
export interface ClaimsParameters {
  readonly challengeWindow: bigint;
  readonly clock: bigint;
  readonly withdrawalDelay: bigint;
  readonly challengerBond: bigint;
  readonly disputeStake: bigint;
  readonly sequencerBond: bigint;
  readonly winnerShareBps: number;
  readonly treasury: `0x${string}`;
}

/** Development defaults: an hour's window, half an hour per side, 0.1 ETH bonds, 50% to the winner. */
export function defaultClaimsParameters(treasury: `0x${string}`): ClaimsParameters {
  return {
    challengeWindow: 3600n,
    clock: 1800n,
    withdrawalDelay: 3600n,
    challengerBond: 10n ** 17n,
    disputeStake: 10n ** 17n,
    sequencerBond: 10n ** 17n,
    winnerShareBps: 5000,
    treasury,
  };
}
