import { Command, InvalidArgumentError, Option } from 'commander';
import { parseExecutorKind } from '@verilay/workers';
import { hostname } from 'node:os';
import { apiKeyMint } from './commands/api-key.command';
import { claimSubmit } from './commands/claim-submit.command';
import { runDemo } from './commands/demo.command';
import { generate } from './commands/generate.command';
import { modelImport } from './commands/model-import.command';
import { modelInfo } from './commands/model-info.command';
import { modelBuildStep } from './commands/model-build-step.command';
import { modelRegister } from './commands/model-register.command';
import { packageVersion } from './commands/package-version';
import { ptau } from './commands/ptau.command';
import { runModel } from './commands/run.command';
import { runWorker } from './commands/worker.command';
import { modelBuild, prove, verify } from './commands/zk.commands';

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`must be an integer in [${min}, ${max}]`);
  return n;
};

/** VERILAY_EXECUTOR's values, as the apps' configs check them. */
const executorKind = (value: string) => {
  try {
    return parseExecutorKind(value, '--executor');
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

/** Where circuit builds are cached: --cache-dir, else VERILAY_CACHE_DIR, else .verilay/cache (libs/zk). */
const cacheDirOption = () =>
  new Option('--cache-dir <dir>', 'circuit build cache (default: .verilay/cache)').env('VERILAY_CACHE_DIR');

const address = (value: string) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new InvalidArgumentError('must be a 20-byte 0x-hex address');
  return value;
};
const privateKey = (value: string) => {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new InvalidArgumentError('must be a 32-byte 0x-hex private key');
  return value;
};
const registrarOptions = (command: Command) =>
  command
    .option(
      '--verifier <url>',
      "take the RPC URL and registry from a verifier's GET /v1/chain (embedded chains)",
    )
    .option('--rpc-url <url>', 'EVM JSON-RPC endpoint')
    .option('--registry <address>', 'ModelRegistry address', address)
    .addOption(
      new Option('--key <hex>', "the registry owner's private key")
        .env('VERILAY_REGISTRAR_KEY')
        .argParser(privateKey),
    )
    .option('--dev-registrar', 'use anvil development account 0 (the embedded chain deployer)');

/** The `verilay` command line; `main.ts` parses the process's arguments with it, specs their own. */
export function createProgram(): Command {
  const program = new Command()
    .name('verilay')
    .description('verilay: optimistic + zero-knowledge verification of AI inference results')
    .version(packageVersion(), '-V, --version', "print verilay's version")
    .showHelpAfterError();

  program
    .command('demo')
    .description(
      'The whole story on embedded defaults: a verifier on its own anvil chain, a small model with its Groth16 verifier, a watcher, honest and wrong claims: honest ones turn final, wrong ones are disputed and slashed',
    )
    .option('--claims <n>', 'how many claims the operator submits', integer(1, 100), 4)
    .option('--wrong <n>', 'how many of them are wrong', integer(0, 100), 1)
    .option(
      '--window-ms <ms>',
      'challenge window (the contract allows 10 s at least)',
      integer(10_000, 600_000),
      20_000,
    )
    .option('--model <file>', 'model document to use (default: a built-in 16-8-4 MLP)', undefined)
    .option('--db <file>', "the verifier's sqlite file (default: a fresh temporary file)")
    .option(
      '--llm',
      'tell it with the tiny language model (models/tiny-llm): greedy text-generation claims, lazy step circuits, a wrong token bisected to one step and proven',
    )
    .action((opts) => runDemo(opts));

  const model = program.command('model').description('Model files');
  model
    .command('info <model-file>')
    .description(
      'Layers, tensor shapes and bounds, parameter count, modelId, and the estimated constraints of its circuits',
    )
    .action((file: string) => modelInfo(file));
  model
    .command('import <model-file>')
    .description(
      'Convert a quantized ONNX model (QLinearMatMul/QLinearConv, MatMulInteger/ConvInteger, Q/DQ at the edges; docs/onnx-import.md) into a verilay model document, or a LLaMA GGUF language model into a .vlm model with its tokenizer (docs/models.md)',
    )
    .requiredOption('--out <model-file>', 'where to write the verilay model document')
    .option('--name <name>', 'model name (default: the ONNX graph name)')
    .option(
      '--multiplier-bits <bits>',
      'significant bits of each requantization multiplier (more: closer to the float scales, larger circuits)',
      integer(1, 31),
      24,
    )
    .option('--output <value>', 'the graph value that ends the model (default: the first graph output)')
    .option('--context <tokens>', "GGUF: the model's context T (token ids per claim)", integer(2, 4096), 64)
    .option('--calibration <text-file>', 'GGUF: text the activation scales are calibrated on')
    .option('--calibration-windows <n>', 'GGUF: windows of T tokens of it to use', integer(1, 1024), 4)
    .option('--force', 'overwrite --out if it exists')
    .action((file: string, opts) => modelImport(file, opts));
  model
    .command('build <model-file>')
    .description(
      'Build the Groth16 circuit, proving/verification keys and Solidity verifier of a model (cached; prints constraints and timings)',
    )
    .option(
      '--step <layer>',
      'build the one-step circuit of this layer instead of the whole inference',
      integer(0, 4095),
    )
    .addOption(cacheDirOption())
    .action((file: string, opts) => modelBuild(file, opts));

  registrarOptions(
    model
      .command('register <model-file>')
      .description(
        "Build the model's circuits (cached), deploy their Groth16 verifiers and register them in the model registry",
      ),
  )
    .option('--steps', 'also register one verifier per trace step (bisection disputes)')
    .option('--lazy', 'with --steps: register every distinct step circuit without a verifier, build nothing')
    .option('--no-whole', 'register no whole-inference verifier (models too big for one circuit)')
    .addOption(
      new Option(
        '--api-key <key>',
        "with --verifier: also register the model with that verifier (a key with models:write; a development verifier writes one to <VERIFIER_DB>.api-key). Without it the verifier's API does not know the model; run again with it to register it there only",
      ).env('VERIFIER_API_KEY'),
    )
    .addOption(cacheDirOption())
    .action((file: string, opts) => modelRegister(file, opts));

  registrarOptions(
    model
      .command('build-step <model-file>')
      .description(
        'Build one step circuit of a model registered with --steps --lazy, deploy its verifier and set it in the registry (once per circuit)',
      )
      .requiredOption('--step <k>', 'the trace step whose circuit to build', integer(0, 65_535)),
  )
    .addOption(cacheDirOption())
    .action((file: string, opts) => modelBuildStep(file, opts));

  const apiKey = program.command('api-key').description("API keys of the verifier's admin endpoints");
  apiKey
    .command('mint')
    .description('Mint an API key: prints the secret token and the VERIFIER_API_KEYS entry (its sha-256)')
    .requiredOption('--id <id>', 'a short name for the key (lowercase letters, digits, -)')
    .option('--scopes <list>', 'comma-separated: models:write, proofs:write', 'models:write,proofs:write')
    .action((opts) => apiKeyMint(opts));

  program
    .command('claim')
    .description('Claims of an operator')
    .command('submit <file>')
    .description(
      "Submit signed claims to a verifier (POST /v1/claims) and print each claim's id and status. <file> ('-': standard input) holds one signed claim, an array of them, { \"claims\": [...] }, or the output of verilay generate --operator-key",
    )
    .addOption(
      new Option('--verifier <url>', "the verifier's base URL")
        .env('VERILAY_VERIFIER_URL')
        .default('http://127.0.0.1:8080'),
    )
    .option(
      '--per-request <n>',
      "claims per request, at most the verifier's VERIFIER_MAX_CLAIMS_PER_REQUEST",
      integer(1, 10_000),
      1000,
    )
    .option('--timeout-ms <ms>', 'how long to wait for each answer', integer(1000, 3_600_000), 30_000)
    .addHelpText(
      'after',
      `
A refusal is printed with the verifier's error code and message, e.g.
  verilay: the verifier at http://127.0.0.1:8080 refused the claims: 422 UNKNOWN_MODEL: …
Exit status: 0 when every claim was accepted, 1 otherwise.

Example:
  # sign for the verifier's chain: its claim contract, from GET /v1/chain
  verilay generate model.json --prompt "And God said" --operator-key 0x… --claims-contract 0x… > claim.json
  verilay claim submit claim.json --verifier http://127.0.0.1:8080`,
    )
    .action((file: string, opts) => claimSubmit(file, opts));

  program
    .command('run <model-file>')
    .description(
      'Run a model on an input with the integer runtime and print what a claim states: output, input and output commitments, trace root',
    )
    .requiredOption('--input <file>', 'JSON array of input values, or { "data": [...], "salt": "0x..." }')
    .option('--trace', 'also print the commitment of every trace step')
    .action((file: string, opts) => runModel(file, opts));

  program
    .command('generate <model-file>')
    .description(
      'Generate text greedily with a language model (verilay.model.v2) and print the generation claim: completion, input, output, commitments, trace root; signed with --operator-key',
    )
    .requiredOption('--prompt <text>', 'the prompt')
    .option(
      '--tokenizer <name>',
      'how text becomes token ids: ascii7 (7-bit ASCII bytes), or a tokenizer file (the .tokenizer.json model import writes for a GGUF model)',
      'ascii7',
    )
    .option(
      '--max-new-tokens <n>',
      'most tokens to generate (default: to the end of the context)',
      integer(1, 1 << 20),
    )
    .option('--stop <char>', 'stop after generating this token (e.g. a newline)')
    .option('--operator-key <hex>', "sign the claim with this operator's private key (EIP-712)")
    .option('--task-id <hex>', 'the task id (default: keccak256 of the input tokens)')
    .option('--chain-id <n>', 'EIP-712 domain: chain id', integer(1, Number.MAX_SAFE_INTEGER), 31337)
    .option(
      '--claims-contract <address>',
      'EIP-712 domain: the claim contract',
      address,
      `0x${'00'.repeat(20)}`,
    )
    .action((file: string, opts) => generate(file, opts));

  program
    .command('prove')
    .description('Prove an inference: the model maps the (salted) input to its output')
    .requiredOption('--model <file>', 'model document')
    .requiredOption('--input <file>', 'JSON array of input values, or { "data": [...], "salt": "0x..." }')
    .option('--out <file>', 'write the proof here (default: stdout)')
    .option(
      '--snarkjs <dir>',
      'also write proof.json, public.json and vkey.json there, for snarkjs groth16 verify',
    )
    .addOption(cacheDirOption())
    .action((opts) => prove(opts));

  program
    .command('verify')
    .description("Verify a proof file against the model's verification key")
    .requiredOption('--proof <file>', 'proof file written by verilay prove')
    .option('--model <file>', 'model document (its build supplies the verification key)')
    .option('--vkey <file>', 'verification key file')
    .option('--trust-embedded-key', "use the key inside the proof file (only for the prover's own checks)")
    .addOption(cacheDirOption())
    .action((opts) => verify(opts));

  program
    .command('worker')
    .description(
      "Take replay jobs from Redis (a watcher's or verifier's queue when they run with VERILAY_REDIS_URL) and run them on this machine's cores (native core or JavaScript, as VERILAY_NATIVE picks). SIGTERM finishes the running jobs, then exits; a second SIGTERM exits at once and hands them back to the queue",
    )
    .addOption(new Option('--redis <url>', 'the Redis server').env('VERILAY_REDIS_URL').makeOptionMandatory())
    .option('--concurrency <n>', 'replays at once: worker threads (default: one per core)', integer(1, 256))
    .addOption(
      new Option(
        '--executor <kind>',
        'where replays run: auto (the GPU when an adapter opens, else the CPU), gpu (or fail), cpu (docs/gpu.md)',
      )
        .env('VERILAY_EXECUTOR')
        .argParser(executorKind)
        .default('auto'),
    )
    .option('--max-batch <n>', 'on a GPU: the most jobs of one model run as one batch', integer(1, 4096), 64)
    .option(
      '--lock-ms <ms>',
      'a job is locked this long, renewed while it runs: a worker that dies leaves its job to another after about this',
      integer(1000, 3_600_000),
      30_000,
    )
    .option(
      '--job-timeout-ms <ms>',
      'a replay running longer is abandoned and its job failed (REPLAY_TIMEOUT), never retried',
      integer(100, 3_600_000),
      60_000,
    )
    .option(
      '--name <name>',
      "stored on every job it takes (a job's processedBy)",
      `${hostname()}:${process.pid}`,
    )
    .option('--prefix <prefix>', 'key prefix of the queues', 'verilay')
    .option('--queue <name>', 'the queue', 'replay')
    .option(
      '--progress-ms <ms>',
      'how often a progress line is printed while jobs come',
      integer(100, 3_600_000),
      5000,
    )
    .option('--failed', 'list the failed jobs (one JSON line each: id, attempts, failedAt, reason) and exit')
    .option('--limit <n>', 'with --failed: how many, newest first', integer(1, 100_000), 100)
    .action((opts) => runWorker(opts));

  program
    .command('ptau')
    .description(
      'Write a development powers of tau (snarkjs .ptau, prepared for phase 2) natively from the public development beacon: its toxic waste is known, development only (docs/trusted-setup.md)',
    )
    .requiredOption('--power <n>', 'the ceremony holds circuits of up to 2^n constraints', integer(1, 27))
    .option(
      '--out <file>',
      'where to write it (default: circuits/ptau/pot<n>_dev.ptau, checked against its committed sha256)',
    )
    .action((opts) => ptau(opts));
  return program;
}
