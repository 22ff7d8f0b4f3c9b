// Gas of registering LLM-scale traces (thousands of steps sharing a few circuits) and of a
// bisection game over 4,096 steps, from mined transactions on a local anvil. The step verifier is
// real: the Groth16 verifier of a ReLU over a non-negative tensor (an idempotent step, so a trace
// of 4,096 such steps is true), from the contract specs' cached test circuit.
// `npm run bench:registry` rewrites its section of docs/benchmarks.md.
import {
  chooseHalf,
  compileGroth16Verifier,
  createChainClients,
  defaultClaimsParameters,
  deployBytecode,
  deployContracts,
  depositBond,
  devAccount,
  openDispute,
  postBatch,
  readDispute,
  registerModel,
  revealMidpoint,
  startAnvil,
  submitStepProof,
  toSolidityProof,
} from '@verilay/chain';
import { BatchTree, claimLeaf, createTensorCommitter, TraceTree, type Hex32 } from '@verilay/commitments';
import { buildModel, randomInput, randomModel } from '@verilay/inference';
import { claimDomain, claimTypedData, executeTask, type ClaimFields } from '@verilay/protocol';
import { buildCircuit, Prover, releaseProverThreads } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { sectionMarkers, writeSection } from './bench-sections';

const CACHE = join(__dirname, '../../.verilay/test-cache');
const DISTINCT = 40;

/** An LLM-like step table: 4 steps of their own (embedding, final norm, logits, argmax), then a block of 36 repeated. */
const llmTable = (length: number) => Array.from({ length }, (_, i) => (i < 4 ? i : 4 + (i % (DISTINCT - 4))));

export async function benchRegistryScale(): Promise<string> {
  const anvil = await startAnvil();
  try {
    const conn = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const [deployer, sequencer, operator, challenger] = [0, 1, 2, 3].map((i) =>
      createChainClients(conn, devAccount(i)),
    );
    const deployment = await deployContracts(deployer, defaultClaimsParameters(devAccount(9).address));
    await depositBond(sequencer, deployment, 10n ** 18n);
    await depositBond(operator, deployment, 10n ** 18n);

    // The real step circuit, and DISTINCT deployed copies of its verifier (distinct addresses).
    const base = randomModel({ seed: 7, kind: 'mlp', sizes: [6, 4, 3], name: 'relu-twice' });
    const small = buildModel({
      name: 'relu-twice',
      input: base.input,
      layers: [...base.layers.slice(0, 3), { op: 'relu' }],
    });
    const relu = await Prover.load(small, await buildCircuit(small, { cacheDir: CACHE, step: 3 }));
    const bytecode = compileGroth16Verifier(readFileSync(relu.artifacts.verifierSolPath, 'utf8'));
    const verifiers: `0x${string}`[] = [];
    let verifierGas = 0n;
    for (let i = 0; i < DISTINCT; i++) {
      const d = await deployBytecode(deployer, 'Groth16Verifier', bytecode);
      verifiers.push(d.address);
      verifierGas = d.gasUsed;
    }

    const rows: string[] = [];
    const register = async (
      name: string,
      length: number,
      circuits: readonly (`0x${string}` | null)[],
      table: number[],
    ) => {
      const mined = await registerModel(deployer, deployment, {
        modelId: keccak256(toHex(name)),
        stepCircuits: { verifiers: circuits, table },
        traceLength: length,
      });
      return mined.gasUsed;
    };
    for (const length of [256, 1024, 4096, 16_384, 65_536]) {
      const gas = await register(`llm ${length}`, length, verifiers, llmTable(length));
      rows.push(
        `| register ${length.toLocaleString('en-US')} steps, ${DISTINCT} distinct circuits (1-byte table) | ${fmt(gas)} | ${fmt(gas / BigInt(length))} per step |`,
      );
    }
    const wide = Array.from({ length: 300 }, (_, i) => verifiers[i % DISTINCT]);
    const wideGas = await register(
      'wide 4096',
      4096,
      wide,
      Array.from({ length: 4096 }, (_, i) => i % 300),
    );
    rows.push(`| register 4,096 steps, 300 circuits (2-byte table) | ${fmt(wideGas)} | |`);
    const lazyGas = await register('lazy 4096', 4096, new Array(DISTINCT).fill(null), llmTable(4096));
    rows.push(
      `| register 4,096 steps, ${DISTINCT} circuits all lazy (no verifier yet) | ${fmt(lazyGas)} | |`,
    );

    // A 4,096-step game: an honest challenger against a lie from step 2,718 on.
    const L = 4096;
    const modelId = keccak256(toHex('game 4096'));
    await register('game 4096', L, [verifiers[0]], new Array(L).fill(0));
    const committer = await createTensorCommitter();
    const input = Array.from(randomInput(small, 3));
    const x = executeTask(small, input, committer, 0n).traceCommitments[3];
    const truth = new Array<Hex32>(L + 1).fill(x);
    const trace = truth.map((h, i) => (i > 2718 ? (`0x${'0'.repeat(62)}2a` as Hex32) : h));
    const tree = new TraceTree(trace);
    const fields: ClaimFields = {
      modelId,
      taskId: keccak256(toHex('game')),
      inputCommitment: trace[0],
      outputCommitment: trace[L],
      traceRoot: tree.root,
      operator: devAccount(2).address,
    };
    const signature = await devAccount(2).signTypedData(
      claimTypedData(fields, claimDomain(anvil.chainId, deployment.claims)),
    );
    const batch = new BatchTree([claimLeaf(fields)]);
    const posted = await postBatch(sequencer, deployment, {
      root: batch.root,
      count: 1,
      dataHash: batch.root,
    });
    const game = await openDispute(challenger, deployment, {
      batchIndex: posted.batchIndex,
      claim: fields,
      inclusionProof: batch.proof(claimLeaf(fields)),
      signature,
      bond: 10n ** 17n,
    });
    const reveals: bigint[] = [];
    const choices: bigint[] = [];
    let stepProof = 0n;
    for (;;) {
      const d = await readDispute(sequencer, deployment, game.disputeId);
      if (d.phaseName === 'resolved') break;
      const mid = Math.floor((d.lo + d.hi) / 2);
      if (d.phaseName === 'await-reveal')
        reveals.push(
          (await revealMidpoint(sequencer, deployment, game.disputeId, trace[mid], tree.proof(mid))).gasUsed,
        );
      else if (d.phaseName === 'await-choice')
        choices.push(
          (await chooseHalf(challenger, deployment, game.disputeId, d.hMid === truth[mid])).gasUsed,
        );
      else {
        const p = await relu.prove(input);
        stepProof = (
          await submitStepProof(
            challenger,
            deployment,
            game.disputeId,
            p.outputCommitment,
            toSolidityProof(p.proof),
          )
        ).gasUsed;
      }
    }
    const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
    const range = (xs: bigint[]) =>
      `${fmt(xs.reduce((a, b) => (a < b ? a : b)))}–${fmt(xs.reduce((a, b) => (a > b ? a : b)))}`;
    const total = game.gasUsed + sum(reveals) + sum(choices) + stepProof;
    rows.push(
      `| 4,096-step game: open the dispute | ${fmt(game.gasUsed)} | |`,
      `| 4,096-step game: one round = reveal (trace proof of 13 hashes) + choice | ${fmt((sum(reveals) + sum(choices)) / BigInt(reveals.length))} on average | reveal ${range(reveals)}, choice ${range(choices)} |`,
      `| 4,096-step game: the step proof (registry table lookup + Groth16), slashes | ${fmt(stepProof)} | |`,
      `| 4,096-step game in total: ${reveals.length} rounds, ${reveals.length + choices.length + 1} moves (bound 2⌈log2 L⌉ + 3 = 27) | ${fmt(total)} | |`,
    );
    return [
      '| operation | gas (mined) | note |',
      '|---|---:|---|',
      ...rows,
      '',
      `Each distinct circuit's verifier is deployed once (${fmt(verifierGas)} gas for this one), whatever number of steps use it.`,
    ].join('\n');
  } finally {
    await anvil.stop();
    await releaseProverThreads();
  }
}

function fmt(n: bigint): string {
  return n.toLocaleString('en-US');
}

export const REGISTRY_SECTION_MARKERS = sectionMarkers('registry-scale', 'bench/registry-scale.bench.ts');

if (require.main === module)
  benchRegistryScale().then(
    (section) => {
      writeSection(join(__dirname, '../../docs/benchmarks.md'), REGISTRY_SECTION_MARKERS, section);
      console.log(section);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
