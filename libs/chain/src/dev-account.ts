import { mnemonicToAccount, type HDAccount } from 'viem/accounts';

/** The public test mnemonic anvil funds by default (10,000 ETH each). Never use it on a real chain. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** Development account `index` of anvil's default mnemonic. */
export function devAccount(index: number): HDAccount {
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
}

/** The private key of development account `index` (for configs that take a key). */
export function devPrivateKey(index: number): `0x${string}` {
  const key = devAccount(index).getHdKey().privateKey;
  if (!key) throw new Error('no private key');
  return `0x${Buffer.from(key).toString('hex')}`;
}
