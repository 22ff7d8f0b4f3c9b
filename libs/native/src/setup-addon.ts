/** The phase-2 setup functions of the native addon (native/crates/node/src/setup.rs). */
export interface SetupAddon {
  /**
   * Writes the Groth16 proving key of the circuit in `r1cs` on the powers of tau `ptau` (prepared
   * for phase 2), ended by the public `beacon`, to `zkey` (through a scratch file renamed into
   * place): byte for byte what `snarkjs zkey new` followed by `snarkjs zkey beacon` writes.
   * `overreadHex`: the 64 bytes snarkjs hashes for the H point it reads past the powers of tau's
   * tau·G1 section (libs/zk computes them with ffjavascript), needed only when the circuit's domain
   * is the ceremony's own size and larger than 2^14. Errors: SETUP_TRUNCATED, SETUP_FORMAT,
   * SETUP_CURVE, SETUP_PTAU_NOT_PREPARED, SETUP_CEREMONY_TOO_SMALL, SETUP_BEACON,
   * SETUP_OVERREAD_POINT, SETUP_IO.
   */
  writeZkeyAsync(
    r1cs: string,
    ptau: string,
    zkey: string,
    beacon: ZkeySetupBeacon,
    overreadHex?: string | null,
    onProgress?: ((progress: ZkeySetupProgress) => void) | null,
  ): Promise<ZkeyWritten>;
}

export interface ZkeySetupBeacon {
  readonly hashHex: string;
  /** 10 to 63, as snarkjs accepts. */
  readonly iterationsExp: number;
  readonly name: string;
}

export interface ZkeySetupProgress {
  readonly stage: string;
  /** Steps done so far, of `total`. */
  readonly done: number;
  readonly total: number;
}

export interface ZkeyWritten {
  readonly bytes: number;
  readonly domainSize: number;
  /** Hex, as snarkjs prints them (`zkey new`'s circuit hash, `zkey beacon`'s contribution hash). */
  readonly circuitHash: string;
  readonly contributionHash: string;
}
