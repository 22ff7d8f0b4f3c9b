import type { Model } from '@verilay/inference';
import { createHash } from 'node:crypto';
import { devPtauPowerFor } from './build-circuit';
import { MAX_DEV_PTAU_POWER } from './dev-ptau';
import { CeremonyTooSmallError } from './errors';
import { generateModelCircuit } from './generate-circuit';

/** One distinct step circuit of a model: the steps that compile to it, and what it needs. */
export interface DistinctStepCircuit {
  /** sha256 (hex) of the circuit's step-independent source and its ceremony: its identity. */
  readonly sourceSha256: string;
  /** The trace steps that share it, ascending (the first one names it). */
  readonly steps: readonly number[];
  /** Estimated constraints (generateModelCircuit's estimate, within 1% of circom's count). */
  readonly estimatedConstraints: number;
  /** The development ceremony (2^power) its build gets. */
  readonly ptauPower: number;
}

/** A model's step circuits, found without compiling: what `registerModel` takes as a table. */
export interface StepCircuitTable {
  /** Distinct circuits, in order of first use (the registry's circuit indexes). */
  readonly circuits: readonly DistinctStepCircuit[];
  /** Per trace step, the index of its circuit in `circuits`. */
  readonly table: readonly number[];
}

/**
 * The source of a step circuit with what names the step taken out: the header comments (model
 * id, step number, op) and the step number inside identifiers (`t5`, `round4`, `VerilayStep4`,
 * `acc4`: every generated name is a fixed prefix followed by the step or the step + 1). The
 * renaming is injective ('@' never occurs in circom source), so two steps with the same
 * normalized source are the same circom program up to a consistent renaming of its identifiers
 * and comments, which compiles to the same constraint system and so, with the reproducible
 * development setup (docs/trusted-setup.md), to the same verification key
 * (step-circuit-table.spec.ts builds such steps and compares their keys).
 */
export function normalizeStepSource(source: string, step: number): string {
  const names = new Map([
    [String(step), '@'],
    [String(step + 1), '@+1'],
  ]);
  return source
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n')
    .replace(/\b([A-Za-z_][A-Za-z_]*?)(\d+)\b/g, (whole, prefix: string, digits: string) => {
      const mapped = names.get(digits);
      return mapped === undefined ? whole : `${prefix}${mapped}`;
    });
}

/**
 * Groups a model's trace steps into distinct step circuits, in seconds and without compiling:
 * each step's circuit is generated (generateModelCircuit), normalized (normalizeStepSource) and
 * hashed with the ceremony it gets; steps with the same hash share a circuit, and so one
 * on-chain verifier (the registry's step table). Nothing is built: a lazily registered circuit is
 * built only when a dispute ends on one of its steps (`verilay model build-step`, or the verifier's
 * registrar service).
 */
export function stepCircuitTable(model: Model): StepCircuitTable {
  const byHash = new Map<string, number>();
  const circuits: {
    sourceSha256: string;
    steps: number[];
    estimatedConstraints: number;
    ptauPower: number;
  }[] = [];
  const table = model.layers.map((_, step) => {
    const generated = generateModelCircuit(model, { step });
    const ptauPower = devPtauPowerFor(generated.estimatedConstraints);
    // SAFETY: a lazily registered circuit must be buildable reproducibly when a dispute needs it:
    // one past the largest development ceremony never gets a verifier, and a dispute ending on
    // it runs no clock, so a liar who diverges there would hold the batch open for good.
    if (ptauPower > MAX_DEV_PTAU_POWER)
      throw new CeremonyTooSmallError(
        generated.estimatedConstraints,
        MAX_DEV_PTAU_POWER,
        `step ${step} (${model.layers[step].op}): about `,
      );
    const sourceSha256 = createHash('sha256')
      .update(normalizeStepSource(generated.source, step))
      .update(`\nptau 2^${ptauPower}`)
      .digest('hex');
    let index = byHash.get(sourceSha256);
    if (index === undefined) {
      byHash.set(sourceSha256, (index = circuits.length));
      circuits.push({
        sourceSha256,
        steps: [],
        estimatedConstraints: generated.estimatedConstraints,
        ptauPower,
      });
    }
    circuits[index].steps.push(step);
    return index;
  });
  return { circuits, table };
}
