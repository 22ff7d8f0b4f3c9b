import type { ChainClients } from '../chain-clients';
import { compileGroth16Verifier } from '../compile-solidity';
import { deployBytecode } from '../deploy-contracts';
import type { VerilayDeployment } from '../deployment';
import { setStepVerifier } from './set-step-verifier';

/** The verifier deployed for a lazily registered step circuit, and what it cost. */
export interface DeployedStepVerifier {
  readonly verifier: `0x${string}`;
  readonly deployGas: bigint;
  /** The `setStepVerifier` transaction. */
  readonly tx: `0x${string}`;
  readonly setGas: bigint;
}

/**
 * Deploys the Groth16 verifier a step circuit's build exported (its Solidity source, compiled with
 * the project's pinned solc, as `verilay model register` deploys it) and sets it as the verifier
 * of circuit `circuitIndex` (the registrar's key; once per circuit). Check first with
 * `checkLazyStep`: the build behind `verifierSource` takes minutes.
 */
export async function deployStepVerifier(
  clients: ChainClients,
  deployment: VerilayDeployment,
  modelId: `0x${string}`,
  circuitIndex: number,
  verifierSource: string,
): Promise<DeployedStepVerifier> {
  const deployed = await deployBytecode(
    clients,
    `Groth16Verifier step circuit ${circuitIndex}`,
    compileGroth16Verifier(verifierSource),
  );
  const set = await setStepVerifier(clients, deployment, modelId, circuitIndex, deployed.address);
  return { verifier: deployed.address, deployGas: deployed.gasUsed, tx: set.hash, setGas: set.gasUsed };
}
