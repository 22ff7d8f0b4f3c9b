// snarkjs ships no types; this declares the functions verilay uses. A "file" is a path or an
// in-memory fastfile ({ type: 'mem', data }).
declare module 'snarkjs' {
  export type SnarkFile = string | { type: 'mem'; data?: Uint8Array };
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: 'groth16';
    curve: string;
  }
  export interface VerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    [key: string]: unknown;
  }
  interface Logger {
    info(msg: string): void;
    debug(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  }
  /** ffjavascript's curve: its wasm task queue (h-hash-overread.ts runs one task on it). */
  export interface Curve {
    tm: { queueAction(task: unknown[]): Promise<unknown[]> };
    terminate(): Promise<void>;
  }
  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve>;
  };
  export const zKey: {
    newZKey(r1cs: SnarkFile, ptau: SnarkFile, zkey: SnarkFile, logger?: Logger): Promise<unknown>;
    contribute(
      oldZkey: SnarkFile,
      newZkey: SnarkFile,
      name: string,
      entropy: string,
      logger?: Logger,
    ): Promise<Uint8Array>;
    /** Applies a public beacon contribution; resolves to false (no throw) for bad parameters. */
    beacon(
      oldZkey: SnarkFile,
      newZkey: SnarkFile,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number,
      logger?: Logger,
    ): Promise<Uint8Array | false>;
    exportVerificationKey(zkey: SnarkFile): Promise<VerificationKey>;
    exportSolidityVerifier(
      zkey: SnarkFile,
      templates: Record<string, string>,
      logger?: Logger,
    ): Promise<string>;
  };
  export const groth16: {
    prove(
      zkey: SnarkFile,
      witness: SnarkFile,
      logger?: Logger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    fullProve(
      input: unknown,
      wasm: SnarkFile,
      zkey: SnarkFile,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(
      vkey: VerificationKey,
      publicSignals: string[],
      proof: Groth16Proof,
      logger?: Logger,
    ): Promise<boolean>;
  };
}
