import { Logger } from '@nestjs/common';
import {
  createChainClients,
  verilayClaimsAbi,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import { VerifierClient } from '@verilay/client';
import type { WatcherConfig } from './watcher.config';

/** The watcher's chain: its clients, the contracts it watches and their dispute parameters. */
export class WatcherChain {
  constructor(
    readonly clients: ChainClients,
    readonly deployment: VerilayDeployment,
    readonly challengerBond: bigint,
  ) {}
}

/**
 * Connects to the chain before the app is built: the configured RPC and contracts, or else the
 * verifier's embedded chain as `GET /v1/chain` describes it (development).
 */
export async function connectWatcherChain(
  config: WatcherConfig,
  logger = new Logger('chain'),
): Promise<WatcherChain> {
  if (!config.key)
    throw new Error('Invalid watcher configuration: "WATCHER_KEY" is required (the challenger key)');
  let rpcUrl = config.rpcUrl;
  let claims = config.claimsContract;
  let registry = config.registryContract;
  let deployBlock = config.deployBlock;
  if (!rpcUrl) {
    const chain = await new VerifierClient(config.verifierUrl).chain();
    if (!chain.rpcUrl)
      throw new Error('the verifier runs on an external chain: set WATCHER_RPC_URL and the contracts');
    rpcUrl = chain.rpcUrl;
    claims = chain.claims;
    registry = chain.registry;
    deployBlock ??= Number(chain.deployBlock);
  }
  const probe = createChainClients({ rpcUrl, chainId: 1 }, config.key);
  const chainId = await probe.public.getChainId();
  const clients = createChainClients({ rpcUrl, chainId }, config.key);
  const deployment: VerilayDeployment = {
    chainId,
    claims: claims!,
    registry: registry!,
    deployBlock: BigInt(deployBlock ?? 0),
  };
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
    challenger: clients.account.address,
  });
  return new WatcherChain(clients, deployment, challengerBond);
}
