// Gas of verilay's contract operations, from mined transactions on a local anvil (never from
// eth_estimateGas: see docs/contracts.md). `npm run bench:gas` rewrites the gas section of
// docs/benchmarks.md; `npm run bench` includes it.
import {
  chooseHalf,
  compileGroth16Verifier,
  createChainClients,
  deployBytecode,
  deployContracts,
  depositBond,
  devAccount,
  iGroth16VerifierAbi,
  modelRegistryAbi,
  openDispute,
  postBatch,
  readDispute,
  registerModel,
  revealMidpoint,
  startAnvil,
  submitStepProof,
  submitValidityProof,
  toSolidityProof,
  transact,
  defaultClaimsParameters,
} from '@verilay/chain';
import { BatchTree, claimLeaf, createTensorCommitter, TraceTree, type Hex32 } from '@verilay/commitments';
import { computeModelId, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain, claimTypedData, executeTask, type ClaimFields } from '@verilay/protocol';
import { buildCircuit, Prover, releaseProverThreads } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { sectionMarkers, writeSection } from './bench-sections';

const CACHE = join(__dirname, '../../.verilay/test-cache');

export async function benchGas(): Promise<string> {
  const anvil = await startAnvil();
  try {
    return await measure(anvil.rpcUrl, anvil.chainId);
  } finally {
    await anvil.stop();
    await releaseProverThreads();
  }
}

async function measure(rpcUrl: string, chainId: number): Promise<string> {
  const conn = { rpcUrl, chainId };
  const [deployer, sequencer, operator, challenger] = [0, 1, 2, 3].map((i) =>
    createChainClients(conn, devAccount(i)),
  );
  const operatorAccount = devAccount(2);
  const deployment = await deployContracts(deployer, defaultClaimsParameters(devAccount(9).address));
  await depositBond(sequencer, deployment, 10n ** 18n);
  await depositBond(operator, deployment, 10n ** 18n);
  const committer = await createTensorCommitter();
  const domain = claimDomain(chainId, deployment.claims);

  const wholeModel = randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'validity' });
  const stepModel = randomModel({ seed: 6, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'bisection' });
  const whole = await Prover.load(wholeModel, await buildCircuit(wholeModel, { cacheDir: CACHE }));
  const steps: Prover[] = [];
  for (let i = 0; i < stepModel.layers.length; i++)
    steps.push(await Prover.load(stepModel, await buildCircuit(stepModel, { cacheDir: CACHE, step: i })));
  const deployVerifier = async (p: Prover) =>
    deployBytecode(
      deployer,
      'Groth16Verifier',
      compileGroth16Verifier(readFileSync(p.artifacts.verifierSolPath, 'utf8')),
    );
  const wholeVerifier = await deployVerifier(whole);
  await registerModel(deployer, deployment, {
    modelId: computeModelId(wholeModel),
    wholeVerifier: wholeVerifier.address,
    traceLength: wholeModel.layers.length,
  });
  const stepVerifiers: `0x${string}`[] = [];
  for (const p of steps) stepVerifiers.push((await deployVerifier(p)).address);
  await registerModel(deployer, deployment, {
    modelId: computeModelId(stepModel),
    stepVerifiers,
    traceLength: stepModel.layers.length,
  });

  let task = 0;
  const claim = async (model: Model, seed: number, lieFrom?: number) => {
    const input = Array.from(randomInput(model, seed));
    const truth = executeTask(model, input, committer, 5n).traceCommitments;
    const trace = truth.map((h, i) =>
      lieFrom !== undefined && i > lieFrom
        ? (`0x${'0'.repeat(62)}${(i + 1).toString(16).padStart(2, '0')}` as Hex32)
        : h,
    );
    const fields: ClaimFields = {
      modelId: computeModelId(model),
      taskId: `0x${(++task).toString(16).padStart(64, '0')}`,
      inputCommitment: trace[0],
      outputCommitment: trace[trace.length - 1],
      traceRoot: new TraceTree(trace).root,
      operator: operatorAccount.address,
    };
    const signature = await operatorAccount.signTypedData(claimTypedData(fields, domain));
    return { fields, leaf: claimLeaf(fields), signature, input, truth, trace, tree: new TraceTree(trace) };
  };

  // Posting: the contract stores the root, so gas is flat in the number of claims.
  const rows: string[] = [];
  const batches: Record<
    number,
    { tree: BatchTree; index: bigint; claims: Awaited<ReturnType<typeof claim>>[] }
  > = {};
  // The contract's very first batch also pays for batchCount's zero-to-non-zero write (+17k).
  const first = await postBatch(sequencer, deployment, {
    root: `0x${'01'.repeat(32)}`,
    count: 1,
    dataHash: `0x${'01'.repeat(32)}`,
  });
  for (const n of [1, 100, 1000]) {
    const claims = [];
    for (let i = 0; i < n; i++) claims.push(await claim(wholeModel, i + 1, i === 0 ? 4 : undefined));
    const tree = new BatchTree(claims.map((c) => c.leaf));
    const posted = await postBatch(sequencer, deployment, { root: tree.root, count: n, dataHash: tree.root });
    batches[n] = { tree, index: posted.batchIndex, claims };
    rows.push(
      `| post a batch of ${n.toLocaleString('en-US')} claim${n > 1 ? 's' : ''} | ${fmt(posted.gasUsed)} | ${fmt(posted.gasUsed / BigInt(n))} per claim |`,
    );
  }

  // A validity dispute on the lying claim of the 1,000-claim batch (inclusion proof of 10 hashes).
  const big = batches[1000];
  const lying = big.claims[0];
  const opened = await openDispute(challenger, deployment, {
    batchIndex: big.index,
    claim: lying.fields,
    inclusionProof: big.tree.proof(lying.leaf),
    signature: lying.signature,
    bond: 10n ** 17n,
  });
  rows.push(
    `| open a dispute (claim in a 1,000-claim batch, signature check, stake lock) | ${fmt(opened.gasUsed)} | |`,
  );
  const proof = await whole.prove(lying.input, 5n);
  const solidityProof = toSolidityProof(proof.proof);
  const signals = [BigInt(proof.inputCommitment), BigInt(proof.outputCommitment)] as const;
  const raw = await transact(
    challenger,
    {
      address: wholeVerifier.address,
      abi: iGroth16VerifierAbi,
      functionName: 'verifyProof',
      args: [solidityProof.a, solidityProof.b, solidityProof.c, signals],
    } as never,
    { gas: 1_000_000n },
  );
  rows.push(
    `| Groth16 proof check, generated verifier alone (2 public signals), whole transaction | ${fmt(raw.gasUsed)} | |`,
  );
  const rawExecution = raw.gasUsed - (await intrinsicGas(challenger.public, raw.hash));
  rows.push(
    `| the same, execution only (less the 21,000 + calldata intrinsic gas every transaction pays) | ${fmt(rawExecution)} | target ≤ 220,000 |`,
  );
  const wrapped = await transact(
    challenger,
    {
      address: deployment.registry,
      abi: modelRegistryAbi,
      functionName: 'verifyInference',
      args: [computeModelId(wholeModel), ...signals, solidityProof],
    } as never,
    { gas: 1_000_000n },
  );
  rows.push(
    `| \`ModelRegistry.verifyInference\` (registry lookup + wrapper + verifier), whole transaction | ${fmt(wrapped.gasUsed)} | direct entry for contracts |`,
  );
  const settled = await submitValidityProof(
    challenger,
    deployment,
    opened.disputeId,
    proof.outputCommitment,
    solidityProof,
  );
  rows.push(`| settle a validity dispute with a proof (slashes the operator) | ${fmt(settled.gasUsed)} | |`);
  rows.push(`| validity dispute in total (open + proof) | ${fmt(opened.gasUsed + settled.gasUsed)} | |`);

  // A full bisection game: an honest challenger against a lying operator, L = 6 steps.
  const lie = await claim(stepModel, 77, 2);
  const tree = new BatchTree([lie.leaf]);
  const posted = await postBatch(sequencer, deployment, { root: tree.root, count: 1, dataHash: tree.root });
  const game = await openDispute(challenger, deployment, {
    batchIndex: posted.batchIndex,
    claim: lie.fields,
    inclusionProof: tree.proof(lie.leaf),
    signature: lie.signature,
    bond: 10n ** 17n,
  });
  let total = game.gasUsed;
  const moves: string[] = [];
  for (;;) {
    const d = await readDispute(sequencer, deployment, game.disputeId);
    if (d.phaseName === 'resolved') break;
    const mid = Math.floor((d.lo + d.hi) / 2);
    if (d.phaseName === 'await-reveal') {
      const m = await revealMidpoint(
        sequencer,
        deployment,
        game.disputeId,
        lie.trace[mid],
        lie.tree.proof(mid),
      );
      total += m.gasUsed;
      moves.push(`reveal ${fmt(m.gasUsed)}`);
    } else if (d.phaseName === 'await-choice') {
      const m = await chooseHalf(challenger, deployment, game.disputeId, d.hMid === lie.truth[mid]);
      total += m.gasUsed;
      moves.push(`choose ${fmt(m.gasUsed)}`);
    } else {
      const p = await steps[d.lo].prove(lie.input, 5n);
      const m = await submitStepProof(
        challenger,
        deployment,
        game.disputeId,
        p.outputCommitment,
        toSolidityProof(p.proof),
      );
      total += m.gasUsed;
      moves.push(`step proof ${fmt(m.gasUsed)}`);
    }
  }
  rows.push(
    `| full bisection game, L = ${stepModel.layers.length} (open, ${moves.length} moves: ${moves.join(', ')}) | ${fmt(total)} | |`,
  );

  return [
    '| operation | gas (mined) | note |',
    '|---|---:|---|',
    ...rows,
    '',
    `The contract's first batch ever costs ${fmt(first.gasUsed)} gas (batchCount from zero). Deployment: ModelRegistry ${fmt(deployment.gasUsed.registry)} gas, VerilayClaims ${fmt(deployment.gasUsed.claims)} gas, one Groth16 verifier ${fmt(wholeVerifier.gasUsed)} gas.`,
    "A bisection over L steps takes ⌈log2 L⌉ reveal/choose rounds (at most 16 for the registry's 65,536-step bound; bench/registry-scale.bench.ts plays one over 4,096 steps) and one step proof.",
  ].join('\n');
}

/** 21,000 plus the calldata gas of a mined transaction (16 per non-zero byte, 4 per zero byte). */
async function intrinsicGas(
  client: ReturnType<typeof createChainClients>['public'],
  hash: `0x${string}`,
): Promise<bigint> {
  const tx = await client.getTransaction({ hash });
  const bytes = Buffer.from(tx.input.slice(2), 'hex');
  let gas = 21_000n;
  for (const b of bytes) gas += b === 0 ? 4n : 16n;
  return gas;
}

function fmt(n: bigint): string {
  return n.toLocaleString('en-US');
}

export const GAS_SECTION_MARKERS = sectionMarkers('gas', 'bench/contracts-gas.bench.ts');

if (require.main === module) {
  benchGas()
    .then((table) => {
      writeSection(join(__dirname, '../../docs/benchmarks.md'), GAS_SECTION_MARKERS, table);
      console.log(table);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
