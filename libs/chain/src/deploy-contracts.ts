import {
  modelRegistryAbi,
  modelRegistryBytecode,
  verilayClaimsAbi,
  verilayClaimsBytecode,
} from './generated/contracts';
import type { ChainClients } from './chain-clients';
import type { ClaimsParameters, VerilayDeployment } from './deployment';
import { ContractRevertError } from './transact';

export interface DeployedContracts extends VerilayDeployment {
  readonly gasUsed: { readonly registry: bigint; readonly claims: bigint };
}

/**
 * Deploys the model registry (owned by `registrar`, default: the deployer) and the claim contract
 * with `params`. The claim contract's address is the `verifyingContract` of the claims' EIP-712 domain.
 */
export async function deployContracts(
  clients: ChainClients,
  params: ClaimsParameters,
  registrar: `0x${string}` = clients.account.address,
): Promise<DeployedContracts> {
  const registry = await deploy(clients, 'ModelRegistry', () =>
    clients.wallet.deployContract({
      abi: modelRegistryAbi,
      bytecode: modelRegistryBytecode,
      args: [registrar],
    }),
  );
  const claims = await deploy(clients, 'VerilayClaims', () =>
    clients.wallet.deployContract({
      abi: verilayClaimsAbi,
      bytecode: verilayClaimsBytecode,
      args: [{ ...params, registry: registry.address }],
    }),
  );
  return {
    chainId: clients.chain.id,
    registry: registry.address,
    claims: claims.address,
    deployBlock: claims.block,
    gasUsed: { registry: registry.gasUsed, claims: claims.gasUsed },
  };
}

/** Deploys raw creation bytecode (e.g. a generated Groth16 verifier) and returns its address. */
export async function deployBytecode(
  clients: ChainClients,
  name: string,
  bytecode: `0x${string}`,
): Promise<{ address: `0x${string}`; gasUsed: bigint }> {
  const deployed = await deploy(clients, name, () =>
    clients.wallet.sendTransaction({ data: bytecode, account: clients.account, chain: clients.chain }),
  );
  return { address: deployed.address, gasUsed: deployed.gasUsed };
}

async function deploy(clients: ChainClients, name: string, send: () => Promise<`0x${string}`>) {
  const hash = await send();
  const receipt = await clients.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success' || !receipt.contractAddress)
    throw new ContractRevertError(`deploy ${name}`, 'DeploymentFailed', [hash], undefined);
  return { address: receipt.contractAddress, gasUsed: receipt.gasUsed, block: receipt.blockNumber };
}
