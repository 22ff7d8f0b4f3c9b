import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WitnessError } from './errors';

export type CircuitInput = Record<string, bigint | number | string | readonly (bigint | number | string)[]>;

interface GeneratedCalculator {
  calculateWitness(input: CircuitInput, sanityCheck: boolean): Promise<bigint[]>;
  calculateWTNSBin(input: CircuitInput, sanityCheck: boolean): Promise<Uint8Array>;
}

/** circom's generated witness calculator, compiled once and kept in memory. */
export class WitnessCalculator {
  private constructor(private readonly calculator: GeneratedCalculator) {}

  /** Loads name_js/name.wasm and its generated witness_calculator.js. */
  static async load(wasmPath: string): Promise<WitnessCalculator> {
    // The generated builder is plain CommonJS next to the wasm (written by circom, not by us).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const builder = require(join(dirname(wasmPath), 'witness_calculator.js')) as (
      code: Buffer,
    ) => Promise<GeneratedCalculator>;
    return new WitnessCalculator(await builder(readFileSync(wasmPath)));
  }

  /** The full witness (wire values); fails when the input breaks a constraint. */
  async witness(input: CircuitInput): Promise<bigint[]> {
    try {
      return await this.calculator.calculateWitness(input, true);
    } catch (e) {
      throw new WitnessError(firstLine(e), e);
    }
  }

  /** The witness in snarkjs' .wtns format (what the prover reads). */
  async wtns(input: CircuitInput): Promise<Uint8Array> {
    try {
      return await this.calculator.calculateWTNSBin(input, true);
    } catch (e) {
      throw new WitnessError(firstLine(e), e);
    }
  }
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];
