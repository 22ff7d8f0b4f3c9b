import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createChainClients,
  deployContracts,
  depositBond,
  devPrivateKey,
  modelRegistryAbi,
  startAnvil,
  verilayClaimsAbi,
  type AnvilInstance,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { embeddedDeploymentFile, type VerifierConfig } from '../config/verifier.config';

/** `ClaimState.Validated` in the contract's `LeafRecord`. */
const LEAF_VALIDATED = 4;

/** The verifier's chain: the sequencer's clients, the deployment, and the embedded anvil if any. */
export class ChainContext implements OnApplicationShutdown {
  /** Registry entries never change, so a model once seen registered stays registered. */
  private readonly registered = new Set<string>();
  private stake?: bigint;

  constructor(
    readonly sequencer: ChainClients,
    readonly deployment: VerilayDeployment,
    readonly rpcUrl: string,
    private readonly anvil?: AnvilInstance,
  ) {}

  get embedded(): boolean {
    return this.anvil !== undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.anvil?.stop();
  }

  /** Whether the chain's ModelRegistry has the model (what a dispute over its claims needs). */
  async isModelRegistered(modelId: string): Promise<boolean> {
    if (this.registered.has(modelId)) return true;
    const registered = await this.sequencer.public.readContract({
      address: this.deployment.registry,
      abi: modelRegistryAbi,
      functionName: 'isRegistered',
      args: [modelId as `0x${string}`],
    });
    if (registered) this.registered.add(modelId);
    return registered;
  }

  /** The contract's DISPUTE_STAKE (immutable). */
  async disputeStake(): Promise<bigint> {
    this.stake ??= await this.sequencer.public.readContract({
      address: this.deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'DISPUTE_STAKE',
    });
    return this.stake;
  }

  /** Whether a proof made the leaf final in every posting (`leafRecord(leaf).state` is Validated). */
  async leafValidated(leaf: `0x${string}`): Promise<boolean> {
    const record = await this.sequencer.public.readContract({
      address: this.deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'leafRecord',
      args: [leaf],
    });
    return record.state === LEAF_VALIDATED;
  }

  /** The latest block's timestamp (seconds): what the contract's clocks and windows run on. */
  async blockTime(): Promise<bigint> {
    return (await this.sequencer.public.getBlock({ blockTag: 'latest' })).timestamp;
  }

  /** An account's bond that can back a new dispute: not locked, not on its way out. */
  freeBond(account: string): Promise<bigint> {
    return this.sequencer.public.readContract({
      address: this.deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'freeBond',
      args: [account as `0x${string}`],
    });
  }
}

const DEPLOYER_INDEX = 0;
const SEQUENCER_INDEX = 1;

/**
 * Connects the verifier to its chain before the app is built. Embedded mode starts anvil (state
 * kept in a file, so batches survive restarts), deploys the contracts on first use (the
 * deployment is remembered next to the state file) and bonds the sequencer. Returns the config
 * with the chain's id and claim contract (the claims' EIP-712 domain) filled in.
 */
export async function connectChain(
  config: VerifierConfig,
  logger = new Logger('chain'),
): Promise<{ config: VerifierConfig; chain: ChainContext | null }> {
  if (config.chainMode === 'off') return { config, chain: null };
  if (config.chainMode === 'rpc') {
    const connection = { rpcUrl: config.chainRpcUrl!, chainId: config.chainId };
    const sequencer = createChainClients(connection, config.sequencerKey!);
    const actual = await sequencer.public.getChainId();
    if (actual !== config.chainId)
      throw new Error(`CHAIN_RPC_URL serves chain ${actual}, but VERILAY_CHAIN_ID is ${config.chainId}`);
    const deployment: VerilayDeployment = {
      chainId: config.chainId,
      claims: config.claimsContract,
      registry: config.registryContract!,
      deployBlock: BigInt(config.deployBlock),
    };
    await requireCode(sequencer, deployment);
    logger.log({ msg: 'chain connected', rpcUrl: connection.rpcUrl, claims: deployment.claims });
    return { config, chain: new ChainContext(sequencer, deployment, connection.rpcUrl) };
  }

  // A block every second, like a real chain: views read the latest block's timestamp, so without
  // new blocks a challenge window would never end.
  const anvil = await startAnvil({
    port: config.anvilPort,
    chainId: config.chainId,
    stateFile: config.anvilStateFile,
    blockTime: 1,
  });
  try {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const sequencer = createChainClients(connection, config.sequencerKey ?? devPrivateKey(SEQUENCER_INDEX));
    const deploymentFile = embeddedDeploymentFile(config.anvilStateFile);
    let deployment = existsSync(deploymentFile) ? readDeployment(deploymentFile) : null;
    if (deployment && !(await hasCode(sequencer, deployment))) {
      throw new Error(
        `The embedded chain lost its state (${config.anvilStateFile}) but ${deploymentFile} names contracts on it. ` +
          'Start over with a new VERIFIER_DB (and delete both files), or restore the state file.',
      );
    }
    if (!deployment) {
      const deployer = createChainClients(connection, devPrivateKey(DEPLOYER_INDEX));
      const window = BigInt(Math.max(10, Math.round(config.challengeWindowMs / 1000)));
      const clock = BigInt(config.disputeClockS);
      deployment = await deployContracts(deployer, {
        challengeWindow: window,
        clock,
        withdrawalDelay: window,
        challengerBond: 10n ** 17n,
        disputeStake: 10n ** 17n,
        sequencerBond: 10n ** 17n,
        winnerShareBps: 5000,
        treasury: deployer.account.address,
      });
      writeFileSync(
        deploymentFile,
        JSON.stringify(
          {
            chainId: deployment.chainId,
            registry: deployment.registry,
            claims: deployment.claims,
            deployBlock: deployment.deployBlock.toString(),
          },
          null,
          2,
        ),
      );
      logger.log({
        msg: 'contracts deployed on the embedded chain',
        claims: deployment.claims,
        registry: deployment.registry,
      });
    }
    const bond = await sequencer.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'freeBond',
      args: [sequencer.account.address],
    });
    if (bond < 10n ** 18n) await depositBond(sequencer, deployment, 10n ** 18n);
    logger.log({
      msg: 'embedded chain ready',
      rpcUrl: anvil.rpcUrl,
      claims: deployment.claims,
      state: config.anvilStateFile,
    });
    const resolved = Object.assign(Object.create(Object.getPrototypeOf(config)), config, {
      chainId: anvil.chainId,
      claimsContract: deployment.claims.toLowerCase(),
      registryContract: deployment.registry.toLowerCase(),
      deployBlock: Number(deployment.deployBlock),
    }) as VerifierConfig;
    return { config: resolved, chain: new ChainContext(sequencer, deployment, anvil.rpcUrl, anvil) };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

function readDeployment(file: string): VerilayDeployment {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as VerilayDeployment & { deployBlock: string };
  return { ...raw, deployBlock: BigInt(raw.deployBlock) };
}

async function hasCode(clients: ChainClients, deployment: VerilayDeployment): Promise<boolean> {
  const code = await clients.public.getCode({ address: deployment.claims });
  return code !== undefined && code !== '0x';
}

async function requireCode(clients: ChainClients, deployment: VerilayDeployment): Promise<void> {
  if (!(await hasCode(clients, deployment)))
    throw new Error(
      `No claim contract at ${deployment.claims} on ${clients.chain.id} (VERILAY_CLAIMS_CONTRACT)`,
    );
}
