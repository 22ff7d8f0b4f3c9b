import {
  createChainClients,
  defaultClaimsParameters,
  deployContracts,
  devAccount,
  devPrivateKey,
  startAnvil,
  type AnvilInstance,
  type DeployedContracts,
} from '@verilay/chain';
import { connectWatcherChain, WatcherChainMismatchError } from './watcher-chain';
import { loadWatcherConfig } from './watcher.config';

describe(connectWatcherChain.name, () => {
  let anvil: AnvilInstance;
  let ours: DeployedContracts;
  let theirs: DeployedContracts;
  const quiet = { log: () => undefined } as never;

  beforeAll(async () => {
    anvil = await startAnvil();
    const deployer = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(0));
    ours = await deployContracts(deployer, defaultClaimsParameters(devAccount(9).address));
    theirs = await deployContracts(deployer, defaultClaimsParameters(devAccount(9).address));
  });
  afterAll(() => anvil.stop());

  const connect = (env: Record<string, string> = {}) =>
    connectWatcherChain(
      loadWatcherConfig({
        WATCHER_KEY: devPrivateKey(3),
        WATCHER_RPC_URL: anvil.rpcUrl,
        WATCHER_CHAIN_ID: String(anvil.chainId),
        WATCHER_CLAIMS_CONTRACT: ours.claims,
        WATCHER_REGISTRY_CONTRACT: ours.registry,
        ...env,
      }),
      quiet,
    );

  it('connects to the configured contracts and reads the challenger bond from them', async () => {
    const sut = await connect();
    expect(sut.deployment).toMatchObject({ chainId: anvil.chainId, claims: ours.claims });
    expect(sut.challengerBond).toBe(10n ** 17n);
  });

  it('refuses an RPC endpoint that serves another chain', async () => {
    await expect(connect({ WATCHER_CHAIN_ID: '1' })).rejects.toThrow(WatcherChainMismatchError);
    await expect(connect({ WATCHER_CHAIN_ID: '1' })).rejects.toThrow(/serves chain 31337, not 1/);
  });

  it('refuses contracts without code', async () => {
    await expect(connect({ WATCHER_CLAIMS_CONTRACT: `0x${'42'.repeat(20)}` })).rejects.toThrow(
      /WATCHER_CLAIMS_CONTRACT 0x4242.* has no code/,
    );
  });

  it('refuses a claim contract that uses another registry than the configured one', async () => {
    await expect(connect({ WATCHER_REGISTRY_CONTRACT: theirs.registry })).rejects.toThrow(
      /uses registry .*, not WATCHER_REGISTRY_CONTRACT/,
    );
  });
});
