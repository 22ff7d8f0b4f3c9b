import { buildClaim, chainDeployment } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { asciiTokenizer, greedyGenerate, type Generation } from '@verilay/generation';
import { parseModel, run, type Model } from '@verilay/inference';
import { executeTask, type ClaimSubmission } from '@verilay/protocol';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelRegister } from '../model-register.command';
import { DemoNetwork, narrator, quietly, REPO_ROOT } from './demo-network';
import { defendTheLie } from './liar';

export const TINY_LLM = join(REPO_ROOT, 'models/tiny-llm/tiny-llm.json');

/** Prompts of at most 12 bytes: with 4 new tokens they fit the tiny LM's context of 16. */
const PROMPTS = ['And God said', 'The LORD is', 'Blessed are', 'And Jesus', 'In the day'];
const NEW_TOKENS = 4;

/**
 * A lying operator's generation: greedy, except that completion token `at` is `wrong`; the tokens
 * after it follow greedily from the altered text, so the claim is greedy by its own account and
 * passes intake; only its output at one position differs from what the model computes.
 */
function lyingGeneration(model: Model, prompt: number[], at: number): { lie: Generation; truth: Generation } {
  const truth = greedyGenerate(model, prompt, { maxNewTokens: NEW_TOKENS });
  const position = prompt.length - 1 + at;
  const honest = truth.completion[at];
  const wrong = honest === 0x65 ? 0x61 : 0x65; // an 'e' (or an 'a' where the model says 'e')
  const lie = greedyGenerate(model, prompt, {
    maxNewTokens: NEW_TOKENS,
    runner: (input) => {
      const output = Int32Array.from(run(model, input).output.data);
      output[position] = wrong;
      return output;
    },
  });
  return { lie, truth };
}

/**
 * The story with a language model: the tiny LLaMA of models/tiny-llm (trained in the repo),
 * registered with lazy step circuits (no circuit is built until a dispute needs one), greedy
 * text-generation claims from an operator, one with a wrong token. The watcher replays it, disputes
 * it, the game bisects to the one step where it goes wrong, the registrar builds that step's
 * circuit during the dispute, the step is proven on chain and the liar slashed.
 */
export async function runLlmDemo(opts: { claims: number; wrong: number; windowMs: number; db?: string }) {
  const say = narrator();
  const model = parseModel(readFileSync(TINY_LLM, 'utf8'));
  const network = await DemoNetwork.start({ db: opts.db, windowMs: opts.windowMs, say });
  try {
    const { client, chain, operator, cacheDir } = network;
    say(
      `registering ${model.name} (${model.layers.length} layers, ${model.layers.length} trace steps) with lazy step circuits: nothing is compiled now`,
    );
    await quietly(() =>
      modelRegister(TINY_LLM, {
        verifier: network.verifier.url,
        devRegistrar: true,
        steps: true,
        lazy: true,
        whole: false,
        cacheDir,
      }),
    );
    const before = await network.play(model, opts.claims);
    const committer = await createTensorCommitter();
    const submissions: ClaimSubmission[] = [];
    const labels: string[] = [];
    for (let i = 0; i < opts.claims; i++) {
      const prompt = asciiTokenizer.encode(PROMPTS[i % PROMPTS.length]);
      const wrong = i >= opts.claims - opts.wrong;
      const { lie, truth } = wrong
        ? lyingGeneration(model, prompt, 1)
        : { lie: undefined, truth: greedyGenerate(model, prompt, { maxNewTokens: NEW_TOKENS }) };
      const claimed = lie ?? truth;
      const text = (g: Generation) => JSON.stringify(asciiTokenizer.decode(g.completion));
      say(
        `claim ${i + 1}: ${JSON.stringify(PROMPTS[i % PROMPTS.length])} -> ${text(claimed)}${lie ? ` (WRONG: the model says ${text(truth)})` : ''}`,
      );
      labels.push(wrong ? 'WRONG' : 'honest');
      submissions.push(
        await buildClaim({
          model,
          input: claimed.input,
          taskId: toHex32(BigInt(i + 1)),
          account: operator,
          domain: chain.domain,
          committer,
          generation: { promptLength: claimed.promptLength, completionLength: claimed.completionLength },
          ...(lie ? { lie: () => Int32Array.from(lie.output) } : {}),
        }),
      );
    }
    const { claims } = await client.submitClaims(submissions);
    say(`operator ${operator.address} submitted ${claims.length} signed generation claims`);
    // A dispute over a lazily registered model waits for its one step circuit to be built.
    const deadline = opts.windowMs + 600_000;
    const liars = claims
      .map((c, i) => ({ ...submissions[i], claimId: c.claimId }))
      .filter((_, i) => labels[i] === 'WRONG')
      .map((claim) =>
        defendTheLie(
          network.clients(operator),
          chainDeployment(chain),
          claim,
          // The liar's committed trace: the true one (its lie is in the output it claims).
          executeTask(model, claim.input!.data, committer).traceCommitments,
          model,
          say,
          deadline,
        ),
      );
    await Promise.all([network.settle(claims, labels, deadline), ...liars]);
    await network.report(before);
  } finally {
    await network.stop();
  }
}
