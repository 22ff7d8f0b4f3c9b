import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { modelRegistryAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/**
 * Sets the verifier of a step circuit registered without one (built lazily); the registrar's key.
 * Once per circuit: a set verifier never changes.
 */
export function setStepVerifier(
  clients: ChainClients,
  deployment: VerilayDeployment,
  modelId: `0x${string}`,
  circuitIndex: number,
  verifier: `0x${string}`,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'setStepVerifier',
    args: [modelId, BigInt(circuitIndex), verifier],
  });
}
