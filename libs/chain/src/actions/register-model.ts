import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { modelRegistryAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

const ZERO = '0x0000000000000000000000000000000000000000';

/**
 * A model's distinct step circuits and which one each trace step uses: what the registry stores
 * (one verifier per circuit, however many steps share it).
 */
export interface StepCircuits {
  /** One verifier per distinct circuit; null: not deployed yet (set later with `setStepVerifier`). */
  readonly verifiers: readonly (`0x${string}` | null)[];
  /** Per trace step, the index of its circuit in `verifiers`. */
  readonly table: readonly number[];
}

export interface ModelVerifiers {
  readonly modelId: `0x${string}`;
  /** The whole-inference verifier, or undefined for a model settled by bisection only. */
  readonly wholeVerifier?: `0x${string}`;
  /**
   * One verifier per trace step (empty when only the whole verifier exists). Steps with the same
   * verifier share one registered circuit (`stepCircuitsOf`).
   */
  readonly stepVerifiers?: readonly `0x${string}`[];
  /** The step circuits directly (instead of `stepVerifiers`), lazy ones included. */
  readonly stepCircuits?: StepCircuits;
  readonly traceLength: number;
}

/** Groups per-step verifiers into distinct circuits (by address, in order of first use) and a table. */
export function stepCircuitsOf(stepVerifiers: readonly `0x${string}`[]): StepCircuits {
  const index = new Map<string, number>();
  const verifiers: `0x${string}`[] = [];
  const table = stepVerifiers.map((v) => {
    const key = v.toLowerCase();
    let i = index.get(key);
    if (i === undefined) {
      index.set(key, (i = verifiers.length));
      verifiers.push(v);
    }
    return i;
  });
  return { verifiers, table };
}

/**
 * The registry's step table: one byte per step when there are at most 256 circuits, else two
 * (big-endian), as `ModelRegistry.registerModel` reads it.
 */
export function encodeStepTable(table: readonly number[], circuitCount: number): `0x${string}` {
  const width = circuitCount <= 256 ? 1 : 2;
  const bytes = Buffer.alloc(table.length * width);
  table.forEach((c, step) => {
    if (!Number.isInteger(c) || c < 0 || c >= circuitCount)
      throw new RangeError(`step ${step} names circuit ${c}, but there are ${circuitCount}`);
    if (width === 1) bytes.writeUInt8(c, step);
    else bytes.writeUInt16BE(c, 2 * step);
  });
  return `0x${bytes.toString('hex')}`;
}

/** Registers a model's verifiers in the registry (the registrar's key). */
export function registerModel(
  clients: ChainClients,
  deployment: VerilayDeployment,
  model: ModelVerifiers,
): Promise<Mined<unknown>> {
  const circuits = model.stepCircuits ?? stepCircuitsOf(model.stepVerifiers ?? []);
  return transact(clients, {
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'registerModel',
    args: [
      model.modelId,
      model.wholeVerifier ?? ZERO,
      circuits.verifiers.map((v) => v ?? ZERO),
      circuits.verifiers.length === 0 ? '0x' : encodeStepTable(circuits.table, circuits.verifiers.length),
      model.traceLength,
    ],
  });
}
