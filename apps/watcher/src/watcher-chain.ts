import { Logger } from '@nestjs/common';
import {
  createChainClients,
  verilayClaimsAbi,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import { BaseError } from '@verilay/errors';
import type { WatcherConfig } from './watcher.config';

/** The watcher's chain: its clients, the contracts it watches and their dispute parameters. */
export class WatcherChain {
  constructor(
    readonly clients: ChainClients,
    readonly deployment: VerilayDeployment,
    readonly challengerBond: bigint,
  ) {}
}

/** The configured chain is not what the RPC endpoint serves: the watcher does not start. */
export class WatcherChainMismatchError extends BaseError {
  readonly code = 'WATCHER_CHAIN_MISMATCH';
}

/**
 * Connects to the chain of the watcher's own configuration before the app is built, and checks it
 * against the chain: the chain id, code at both contracts, and the claim contract's registry.
 *
 * SAFETY: nothing here comes from the verifier. The watcher polices the verifier; a verifier (or
 * anyone on the path to it) that chose the chain or the contracts could have the watcher sign
 * bonded disputes for a contract of its own (issue 11, finding 6).
 */
export async function connectWatcherChain(
  config: WatcherConfig,
  logger = new Logger('chain'),
): Promise<WatcherChain> {
  if (!config.key)
    throw new Error('Invalid watcher configuration: "WATCHER_KEY" is required (the challenger key)');
  const { rpcUrl, chainId } = config;
  const clients = createChainClients({ rpcUrl, chainId }, config.key);
  const deployment: VerilayDeployment = {
    chainId,
    claims: config.claimsContract,
    registry: config.registryContract,
    deployBlock: BigInt(config.deployBlock),
  };
  const served = await clients.public.getChainId();
  if (served !== chainId)
    throw new WatcherChainMismatchError(`${rpcUrl} serves chain ${served}, not ${chainId}`, {
      details: 'WATCHER_CHAIN_ID names the chain the watcher disputes on; the RPC endpoint must serve it.',
      meta: { configured: chainId, served },
    });
  for (const [name, address] of [
    ['WATCHER_CLAIMS_CONTRACT', deployment.claims],
    ['WATCHER_REGISTRY_CONTRACT', deployment.registry],
  ] as const) {
    const code = await clients.public.getCode({ address });
    if (!code || code === '0x')
      throw new WatcherChainMismatchError(`${name} ${address} has no code on chain ${chainId}`, {
        meta: { variable: name, address },
      });
  }
  const registry = await clients.public.readContract({
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'REGISTRY',
  });
  if (registry.toLowerCase() !== deployment.registry.toLowerCase())
    throw new WatcherChainMismatchError(
      `the claim contract ${deployment.claims} uses registry ${registry}, not WATCHER_REGISTRY_CONTRACT ${deployment.registry}`,
      { meta: { configured: deployment.registry, onChain: registry } },
    );
  const challengerBond = await clients.public.readContract({
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'CHALLENGER_BOND',
  });
  logger.log({
    msg: 'watching',
    rpcUrl,
    chainId,
    claims: deployment.claims,
    registry: deployment.registry,
    challenger: clients.account.address,
  });
  return new WatcherChain(clients, deployment, challengerBond);
}
