import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { modelRegistryAbi } from '../generated/contracts';

const ZERO = '0x0000000000000000000000000000000000000000';

/** A trace step's circuit in the registry, and its verifier once set. */
export interface StepCircuitState {
  /** The step's circuit (its index in the model's list of distinct step circuits). */
  readonly circuitIndex: number;
  /** The circuit's verifier; undefined while it is registered lazily and not set yet. */
  readonly verifier?: `0x${string}`;
  /** When the verifier was set (block time, seconds; 0 while unset). */
  readonly setAt: bigint;
}

/**
 * The circuit of a model's trace step and its verifier (`stepCircuit`, `circuitVerifier`), or
 * undefined when the model has no step circuits or no such step. A dispute that reached a step
 * whose circuit has no verifier waits: no clock runs, `timeout` and `submitStepProof` revert
 * (`StepVerifierNotSet`), and once it is set the defender's clock counts from `setAt`.
 */
export async function readStepCircuit(
  clients: Pick<ChainClients, 'public'>,
  deployment: Pick<VerilayDeployment, 'registry'>,
  modelId: `0x${string}`,
  step: number,
): Promise<StepCircuitState | undefined> {
  const [, traceLength, circuitCount] = await clients.public.readContract({
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'model',
    args: [modelId],
  });
  if (circuitCount === 0n || step < 0 || step >= traceLength) return undefined;
  const circuitIndex = await clients.public.readContract({
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'stepCircuit',
    args: [modelId, BigInt(step)],
  });
  const [verifier, setAt] = await clients.public.readContract({
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'circuitVerifier',
    args: [modelId, circuitIndex],
  });
  return {
    circuitIndex: Number(circuitIndex),
    verifier: verifier === ZERO ? undefined : verifier,
    setAt: BigInt(setAt),
  };
}

/**
 * When the defender's clock for a step proof started: its turn, or the moment the step's verifier
 * was set if later (what the contract's `timeout` counts from). Pass it as the dispute's
 * `turnStartedAt` to `spentClock`.
 */
export function stepProofTurnStart(turnStartedAt: bigint, circuit: Pick<StepCircuitState, 'setAt'>): bigint {
  return circuit.setAt > turnStartedAt ? circuit.setAt : turnStartedAt;
}
