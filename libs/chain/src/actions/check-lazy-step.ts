import { BaseError } from '@verilay/errors';
import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { modelRegistryAbi } from '../generated/contracts';
import { readStepCircuit } from './read-step-circuit';

export type LazyStepRefusal = 'not-registrar' | 'model-not-registered' | 'no-step-circuit' | 'already-set';

/** Why a step circuit's verifier is not to be set now (nothing is built, nothing is sent). */
export class LazyStepRefusedError extends BaseError {
  readonly code = 'LAZY_STEP_REFUSED';
  constructor(
    readonly reason: LazyStepRefusal,
    message: string,
    meta: Record<string, unknown>,
  ) {
    super(message, { meta: { reason, ...meta } });
  }
}

/**
 * Checks, before any build, that `clients` may set the verifier of step `step`'s circuit: its
 * account is the registry's owner (the registrar: anyone else's `setStepVerifier` reverts), the
 * model is registered with step circuits and has that step, and the step's circuit has no
 * verifier yet (a verifier is set once). Returns the circuit's index; throws LazyStepRefusedError.
 */
export async function checkLazyStep(
  clients: ChainClients,
  deployment: Pick<VerilayDeployment, 'registry'>,
  modelId: `0x${string}`,
  step: number,
): Promise<{ circuitIndex: number }> {
  const meta = { modelId, step, registry: deployment.registry };
  const owner = await clients.public.readContract({
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'owner',
  });
  if (owner.toLowerCase() !== clients.account.address.toLowerCase())
    throw new LazyStepRefusedError(
      'not-registrar',
      `${clients.account.address} is not the registrar of ${deployment.registry} (its owner is ${owner}): only the registrar sets step verifiers`,
      meta,
    );
  const registered = await clients.public.readContract({
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'isRegistered',
    args: [modelId],
  });
  if (!registered)
    throw new LazyStepRefusedError(
      'model-not-registered',
      `model ${modelId} is not registered in ${deployment.registry}: register it first (verilay model register --steps --lazy)`,
      meta,
    );
  const circuit = await readStepCircuit(clients, deployment, modelId, step);
  if (!circuit)
    throw new LazyStepRefusedError(
      'no-step-circuit',
      `model ${modelId} has no step circuit for step ${step} (registered without step circuits, or past its trace)`,
      meta,
    );
  if (circuit.verifier)
    throw new LazyStepRefusedError(
      'already-set',
      `step ${step}'s circuit ${circuit.circuitIndex} already has its verifier ${circuit.verifier} (a verifier is set once)`,
      { ...meta, circuitIndex: circuit.circuitIndex, verifier: circuit.verifier },
    );
  return { circuitIndex: circuit.circuitIndex };
}
