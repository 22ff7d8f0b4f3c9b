// ezkl's Solidity verifier on a local anvil: the verification gas of the peer row (bench/peers/ezkl,
// docs/benchmarks.md "Peer: ezkl"). bench_ezkl.py renders Verifier.sol and the proof's calldata;
// ezkl cannot compile the verifier itself here (it fetches solc through svm, from the network), so
// this compiles it with the project's solc-js, deploys it, and measures a mined transaction (as
// bench/contracts-gas.bench.ts does, never eth_estimateGas). A tampered proof must be rejected.
// Usage: node dist/bench/peers/ezkl/evm-gas.js <work dir> <results.json>
import {
  compileSolidity,
  createChainClients,
  deployBytecode,
  devPrivateKey,
  solcVersion,
  startAnvil,
  VERIFIER_SOLC_SETTINGS,
} from '@verilay/chain';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFunctionResult, type Hex } from 'viem';

/** EIP-170: the largest runtime code a mainnet deployment may leave. */
const MAX_RUNTIME_BYTES = 24_576;
const VERIFY_ABI = [
  {
    type: 'function',
    name: 'verifyProof',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'proof', type: 'bytes' },
      { name: 'instances', type: 'uint256[]' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
] as const;
/** verifyProof(bytes, uint256[]) calldata: selector, two offsets, the proof's length, then the proof. */
const PROOF_OFFSET = 4 + 3 * 32;

async function main(): Promise<void> {
  const [work, resultsPath] = process.argv.slice(2);
  if (!work || !resultsPath) throw new Error('usage: evm-gas.js <work dir> <results.json>');
  const compiled = compileSolidity(
    { 'Verifier.sol': readFileSync(join(work, 'Verifier.sol'), 'utf8') },
    [],
    VERIFIER_SOLC_SETTINGS,
  );
  const verifier = compiled['Halo2Verifier'];
  if (!verifier)
    throw new Error(`Verifier.sol has no Halo2Verifier (found ${Object.keys(compiled).join(', ')})`);
  const calldata = `0x${readFileSync(join(work, 'calldata.bin')).toString('hex')}` as Hex;

  const anvil = await startAnvil();
  try {
    const clients = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devPrivateKey(0));
    const deployed = await deployBytecode(clients, 'Halo2Verifier', verifier.bytecode);
    const accepts = await call(clients, deployed.address, calldata);
    if (!accepts) throw new Error('the ezkl verifier rejects an honest proof');
    const tampered = tamper(calldata);
    if (await call(clients, deployed.address, tampered))
      throw new Error('the ezkl verifier accepts a tampered proof');

    const hash = await clients.wallet.sendTransaction({
      to: deployed.address,
      data: calldata,
      account: clients.account,
      chain: clients.chain,
      gas: 30_000_000n,
    });
    const receipt = await clients.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== 'success') throw new Error('the verification transaction reverted');
    const intrinsic = intrinsicGas(calldata);

    const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown> & {
      notes: string[];
    };
    results.verifyGas = Number(receipt.gasUsed);
    results.verifyGasExecution = Number(receipt.gasUsed - intrinsic);
    results.verifierDeployGas = Number(deployed.gasUsed);
    results.verifierRuntimeBytes = verifier.deployedSize;
    results.notes = results.notes.filter((n) => !n.startsWith('verifyGas'));
    results.notes.push(
      `verifyGas: the whole mined verifyProof transaction on anvil (ezkl's rendered Verifier.sol compiled with solc-js ${solcVersion()}, optimizer 200 runs, cancun); ${results.verifyGasExecution} gas without the 21,000 + calldata intrinsic gas; a tampered proof is rejected`,
    );
    if (verifier.deployedSize > MAX_RUNTIME_BYTES)
      results.notes.push(
        `the verifier's runtime code is ${verifier.deployedSize} bytes, past EIP-170's ${MAX_RUNTIME_BYTES}: mainnet would refuse it`,
      );
    writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
    console.error(
      `ezkl: verifyProof ${receipt.gasUsed} gas (execution ${results.verifyGasExecution}), verifier ${verifier.deployedSize} bytes`,
    );
  } finally {
    await anvil.stop();
  }
}

/** Whether verifyProof returns true for `data`; a revert counts as a rejection. */
async function call(clients: ReturnType<typeof createChainClients>, to: Hex, data: Hex): Promise<boolean> {
  try {
    const { data: returned } = await clients.public.call({
      to,
      data,
      account: clients.account,
      gas: 30_000_000n,
    });
    return (
      !!returned && decodeFunctionResult({ abi: VERIFY_ABI, functionName: 'verifyProof', data: returned })
    );
  } catch {
    return false;
  }
}

/** The calldata with one bit of the proof's first commitment flipped. */
function tamper(calldata: Hex): Hex {
  const bytes = Buffer.from(calldata.slice(2), 'hex');
  bytes[PROOF_OFFSET + 31] ^= 1;
  return `0x${bytes.toString('hex')}`;
}

/** 21,000 plus 4 gas per zero byte and 16 per other byte of calldata. */
function intrinsicGas(calldata: Hex): bigint {
  let gas = 21_000n;
  for (const b of Buffer.from(calldata.slice(2), 'hex')) gas += b === 0 ? 4n : 16n;
  return gas;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
