import { buildClaim } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel, run, type Model } from '@verilay/inference';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoNetwork, narrator, quietly } from './demo/demo-network';
import { runLlmDemo } from './demo/llm-story';
import { modelRegister } from './model-register.command';
import { readModel } from './model-file';

export interface DemoOptions {
  claims: number;
  wrong: number;
  windowMs: number;
  model?: string;
  db?: string;
  llm?: boolean;
}

/** A model whose whole-inference circuit builds in seconds, so a dispute can end in a Groth16 proof. */
function demoModel(file?: string): Model {
  if (file) return readModel(file);
  return randomModel({ seed: 7, kind: 'mlp', sizes: [16, 8, 4], argmax: true, name: 'demo-mlp-16-8-4' });
}

/**
 * The whole story on embedded defaults: a verifier on its own anvil chain (contracts deployed),
 * a small model registered with its Groth16 verifier, a watcher run by a challenger, an operator
 * submitting honest and wrong claims. Honest claims turn final; wrong ones are disputed by the
 * watcher, proven wrong with a Groth16 proof, and slashed; the gas is printed. `--llm` tells it
 * with the tiny language model and text-generation claims (./demo/llm-story.ts).
 */
export async function runDemo(opts: DemoOptions): Promise<void> {
  if (opts.llm) return runLlmDemo(opts);
  const say = narrator();
  const network = await DemoNetwork.start({ db: opts.db, windowMs: opts.windowMs, say });
  try {
    const { client, chain, operator, cacheDir } = network;
    const model = demoModel(opts.model);
    const modelFile = join(network.dir, 'model.json');
    writeFileSync(modelFile, JSON.stringify(modelToJson(model)));
    say(
      `building ${model.name}'s circuit (cached in ${cacheDir}), deploying its Groth16 verifier, registering it`,
    );
    await quietly(() =>
      modelRegister(modelFile, { verifier: network.verifier.url, devRegistrar: true, cacheDir }),
    );
    const before = await network.play(model, opts.claims);
    const committer = await createTensorCommitter();
    const submissions = [];
    for (let i = 0; i < opts.claims; i++) {
      const wrong = i >= opts.claims - opts.wrong;
      submissions.push(
        await buildClaim({
          model,
          input: randomInput(model, i + 1),
          taskId: toHex32(BigInt(i + 1)),
          account: operator,
          domain: chain.domain,
          committer,
          salt: BigInt(1000 + i),
          // A lying operator: claims another class than the model gives.
          ...(wrong ? { lie: (out: Int32Array) => out.map((v) => (v + 1) % 4) } : {}),
        }),
      );
    }
    const { claims } = await client.submitClaims(submissions);
    const labels = submissions.map((_, i) => (i >= opts.claims - opts.wrong ? 'WRONG' : 'honest'));
    say(`operator ${operator.address} submitted ${claims.length} signed claims: ${labels.join(', ')}`);
    // What each claim states, and for a wrong one what the model really gives: the watcher finds
    // the difference by replaying it.
    submissions.forEach((submission, i) => {
      const truth = Array.from(run(model, submission.input!.data).output.data);
      const stated = JSON.stringify(submission.output);
      say(
        labels[i] === 'WRONG'
          ? `claim ${i + 1} states output ${stated}, but the model computes ${JSON.stringify(truth)} on its input: WRONG`
          : `claim ${i + 1} states output ${stated}, what the model computes`,
      );
    });
    await network.settle(claims, labels, opts.windowMs + 180_000);
    await network.report(before);
  } finally {
    await network.stop();
  }
}
