/** The ceremony functions of the native addon (native/crates/node/src/ceremony.rs). */
export interface CeremonyAddon {
  /**
   * Writes a powers of tau of 2^power prepared for phase 2 to `path` (through a scratch file
   * renamed into place), with one public beacon contribution: verilay's development beacon unless
   * `beacon` names another. Byte for byte what snarkjs' `powersoftau new`, `beacon` and
   * `prepare phase2` write. Errors: PTAU_POWER, PTAU_BEACON, PTAU_IO, PTAU_DEGENERATE.
   */
  writePtauAsync(
    path: string,
    power: number,
    beacon?: PtauBeacon | null,
    onProgress?: ((progress: PtauProgress) => void) | null,
  ): Promise<PtauWritten>;
  /** The development beacon's public values (its text, sha256 hash, iterations, name). */
  ptauDevBeacon(): PtauDevBeacon;
}

export interface PtauBeacon {
  readonly hashHex: string;
  readonly iterationsExp: number;
  readonly name: string;
}

export interface PtauProgress {
  readonly stage: string;
  /** Points written so far, of `total`. */
  readonly done: number;
  readonly total: number;
}

export interface PtauWritten {
  readonly power: number;
  readonly bytes: number;
  /** Hex, as `snarkjs powersoftau verify` prints them. */
  readonly responseHash: string;
  readonly nextChallenge: string;
}

export interface PtauDevBeacon {
  readonly text: string;
  readonly hashHex: string;
  readonly iterationsExp: number;
  readonly name: string;
}
