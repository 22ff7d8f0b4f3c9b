// circomlibjs ships no types; this declares the one function verilay uses.
declare module 'circomlibjs' {
  export interface PoseidonHasher {
    (inputs: (bigint | number)[], initState?: bigint, nOut?: number): Uint8Array;
    F: { toObject(element: Uint8Array): bigint };
  }
  export function buildPoseidon(): Promise<PoseidonHasher>;
}

declare module 'circomlibjs' {
  /** Pure-JS reference Poseidon (slow; used by tests as an independent implementation). */
  export function buildPoseidonReference(): Promise<PoseidonHasher>;
  export function buildPoseidonOpt(): Promise<PoseidonHasher>;
}
