import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCircuit } from './compile-circuit';
import { firstUnsatisfied, parseR1cs, parseSym, type R1cs } from './r1cs';
import { WitnessCalculator, type CircuitInput } from './witness-calculator';

export const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** A signed integer as the field element circom stores. */
export const f = (v: bigint | number) => ((BigInt(v) % P) + P) % P;

/**
 * A compiled test circuit (--O1: every signal keeps its wire) with the independent R1CS checker:
 * an honest witness satisfies the compiled constraints; a forged one (hints changed so that the
 * template's main equation still holds) must break at least one. `assert` adds no constraint, so
 * only constraints count here.
 */
export class Harness {
  private constructor(
    private readonly r1cs: R1cs,
    private readonly sym: Map<string, number>,
    private readonly calculator: WitnessCalculator,
  ) {}

  /** `body` follows `include "verilay.circom"` (and `include "transformer.circom"` with `transformer`). */
  static async compile(dir: string, name: string, body: string, transformer = false): Promise<Harness> {
    const include = transformer ? 'include "transformer.circom";' : 'include "verilay.circom";';
    const source = `pragma circom 2.1.0;\n${include}\n${body}\n`;
    const c = await compileCircuit(source, name, join(dir, name));
    return new Harness(
      parseR1cs(readFileSync(c.r1csPath)),
      parseSym(readFileSync(c.symPath, 'utf8')),
      await WitnessCalculator.load(c.wasmPath),
    );
  }

  witness(input: CircuitInput) {
    return this.calculator.witness(input);
  }

  value(witness: bigint[], signal: string): bigint {
    return witness[this.wire(signal)];
  }

  /** True when the witness with these signals changed satisfies every constraint. */
  satisfied(witness: bigint[], changes: Record<string, bigint | number> = {}): boolean {
    const forged = [...witness];
    for (const [signal, v] of Object.entries(changes)) {
      // `?name`: a signal circom may have merged into another (an input equal to its source).
      if (
        signal.startsWith('?') &&
        !signal
          .slice(1)
          .split('|')
          .some((s) => this.has(s))
      )
        continue;
      forged[this.wire(signal.replace(/^\?/, ''))] = f(v);
    }
    return firstUnsatisfied(this.r1cs, forged) === -1;
  }

  /** Whether the circuit keeps a wire for this signal. */
  has(signal: string): boolean {
    const w = this.sym.get(`main.${signal}`);
    return w !== undefined && w >= 0;
  }

  /**
   * Wires that no constraint pins: each wire (the constant wire 0 aside) moved by one while every
   * other stays must break a constraint that mentions it. A `<--` left without a `===` shows here.
   */
  freeWires(witness: bigint[]): number[] {
    const uses = new Map<number, number[]>();
    this.r1cs.constraints.forEach((c, i) => {
      for (const lc of c) for (const wire of lc.keys()) uses.set(wire, [...(uses.get(wire) ?? []), i]);
    });
    const free: number[] = [];
    for (let w = 1; w < this.r1cs.nVars; w++) {
      const forged = [...witness];
      forged[w] = (forged[w] + 1n) % P;
      const idx = [...new Set(uses.get(w) ?? [])];
      const sub = { ...this.r1cs, constraints: idx.map((i) => this.r1cs.constraints[i]) };
      if (firstUnsatisfied(sub, forged) === -1) free.push(w);
    }
    return free;
  }

  /** `a|b`: the first name with a wire (circom keeps one signal of an equality `a <== b`). */
  private wire(signal: string): number {
    for (const name of signal.split('|')) {
      const w = this.sym.get(`main.${name}`);
      if (w !== undefined && w >= 0) return w;
    }
    throw new Error(`no wire for ${signal}`);
  }
}

/**
 * The changes that put `value` into an InRange/Num2Bits component at `prefix` (its input and its
 * bits, `num2bits` when the component is a Num2Bits itself, the low `n` bits of the value's field element): a forgery that adjusts a range check's
 * witness as well as it can, so only the check's own equation can refuse a value past its range.
 */
export function rangeWitness(
  prefix: string,
  value: bigint,
  n: number,
  num2bits = false,
): Record<string, bigint> {
  const v = f(value);
  const bits = num2bits ? prefix : `${prefix}.bits`;
  const out: Record<string, bigint> = { [`?${prefix}.in|${bits}.in`]: v };
  for (let i = 0; i < n; i++) out[`${bits}.out[${i}]`] = (v >> BigInt(i)) & 1n;
  return out;
}
