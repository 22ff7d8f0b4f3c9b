import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { modelRegistryAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

export interface ModelVerifiers {
  readonly modelId: `0x${string}`;
  /** The whole-inference verifier, or undefined for a model settled by bisection only. */
  readonly wholeVerifier?: `0x${string}`;
  /** One verifier per trace step (empty when only the whole verifier exists). */
  readonly stepVerifiers?: readonly `0x${string}`[];
  readonly traceLength: number;
}

/** Registers a model's verifiers in the registry (the registrar's key). */
export function registerModel(
  clients: ChainClients,
  deployment: VerilayDeployment,
  model: ModelVerifiers,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'registerModel',
    args: [
      model.modelId,
      model.wholeVerifier ?? '0x0000000000000000000000000000000000000000',
      [...(model.stepVerifiers ?? [])],
      model.traceLength,
    ],
  });
}
