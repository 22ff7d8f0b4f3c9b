import type { CircuitInput } from './witness-calculator';

/** The witness-calculator input of a generated circuit: the private tensor and the salt. */
export function circuitInput(values: ArrayLike<number>, salt = 0n): CircuitInput {
  return { x: Array.from(values, (v) => BigInt(v)), salt };
}
