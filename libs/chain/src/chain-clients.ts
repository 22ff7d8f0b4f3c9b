import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/** A public client, and a wallet client for one account, on one chain. */
export interface ChainClients {
  readonly chain: Chain;
  readonly public: PublicClient<Transport, Chain>;
  readonly wallet: WalletClient<Transport, Chain, Account>;
  readonly account: Account;
}

export interface ChainConnection {
  readonly rpcUrl: string;
  readonly chainId: number;
}

export function verilayChain(connection: ChainConnection): Chain {
  return defineChain({
    id: connection.chainId,
    name: `verilay-${connection.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [connection.rpcUrl] } },
  });
}

/** Clients acting as `account` (a viem account or a private key). */
export function createChainClients(
  connection: ChainConnection,
  account: Account | `0x${string}`,
): ChainClients {
  const chain = verilayChain(connection);
  const acting = typeof account === 'string' ? privateKeyToAccount(account) : account;
  const transport = http(connection.rpcUrl, { retryCount: 2, timeout: 30_000 });
  return {
    chain,
    public: createPublicClient({ chain, transport, pollingInterval: 100 }),
    wallet: createWalletClient({ chain, transport, account: acting }),
    account: acting,
  };
}

/** anvil's testing RPCs (time travel, mining, snapshots, reorgs) for tests and the demo. */
export function createAnvilTestClient(connection: ChainConnection): TestClient<'anvil', Transport, Chain> {
  return createTestClient({
    mode: 'anvil',
    chain: verilayChain(connection),
    transport: http(connection.rpcUrl),
  });
}
