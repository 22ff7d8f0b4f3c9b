import {
  compileGroth16Verifier,
  createChainClients,
  deployBytecode,
  devPrivateKey,
  modelRegistryAbi,
  registerModel,
} from '@verilay/chain';
import { VerifierClient } from '@verilay/client';
import { computeModelId, encodeModel, type Model } from '@verilay/inference';
import { buildCircuit, releaseProverThreads, stepCircuitTable } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { readModel } from './model-file';

export interface ModelRegisterOptions extends RegistrarOptions {
  readonly steps?: boolean;
  /** With `steps`: register every step circuit without a verifier and build nothing. */
  readonly lazy?: boolean;
  readonly whole?: boolean;
  readonly cacheDir?: string;
  /** With `verifier`: also register the model with that verifier (POST /v1/models, models:write). */
  readonly apiKey?: string;
}

/** The registrar's chain options, shared by `model register` and `model build-step`. */
export interface RegistrarOptions {
  readonly verifier?: string;
  readonly rpcUrl?: string;
  readonly registry?: `0x${string}`;
  readonly key?: `0x${string}`;
  readonly devRegistrar?: boolean;
}

/**
 * The registrar's clients and the registry: from `--verifier` (its embedded chain) or `--rpc-url`
 * and `--registry`, with `--key` (VERILAY_REGISTRAR_KEY) or `--dev-registrar` (dev account 0, the
 * embedded chain's deployer).
 */
export async function connectRegistrar(opts: RegistrarOptions) {
  let rpcUrl = opts.rpcUrl;
  let registry = opts.registry;
  if (opts.verifier) {
    const chain = await new VerifierClient(opts.verifier).chain();
    rpcUrl ??= chain.rpcUrl;
    registry ??= chain.registry;
  }
  if (!rpcUrl || !registry)
    throw new Error('give --verifier <url> (an embedded chain), or --rpc-url and --registry');
  const key = opts.key ?? (opts.devRegistrar ? devPrivateKey(0) : undefined);
  if (!key)
    throw new Error(
      'give the registrar key: --key / VERILAY_REGISTRAR_KEY, or --dev-registrar on a development chain',
    );
  const probe = createChainClients({ rpcUrl, chainId: 1 }, key);
  const chainId = await probe.public.getChainId();
  const clients = createChainClients({ rpcUrl, chainId }, key);
  const deployment = { chainId, registry, claims: registry, deployBlock: 0n };
  return { clients, deployment, registry };
}

/** A registered verifier and the content hashes of the keys it was exported from (published). */
interface RegisteredKey {
  readonly step: number | null;
  readonly verifier: `0x${string}`;
  readonly zkeySha256: string;
  readonly vkeySha256: string;
  readonly zkey: string;
  readonly vkey: string;
}

/**
 * `verilay model register <model-file>`: builds the model's circuits (cached), deploys their
 * Groth16 verifiers and registers them in the model registry. By default the whole-inference
 * verifier; `--steps` adds the step verifiers (bisection disputes): one deployed per distinct
 * verification key, shared by every step with that key. The output publishes each key's sha256:
 * the development setup is deterministic (docs/trusted-setup.md), so anyone can rebuild the keys
 * and compare, and provers check their key against these verifiers.
 */
export async function modelRegister(file: string, opts: ModelRegisterOptions): Promise<void> {
  const model = readModel(file);
  const modelId = computeModelId(model);
  const started = performance.now();
  const say = (line: string) =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

  const { clients, deployment, registry } = await connectRegistrar(opts);
  const registered = await clients.public.readContract({
    address: registry,
    abi: modelRegistryAbi,
    functionName: 'isRegistered',
    args: [modelId],
  });
  if (registered) {
    // On chain already (entries never change): what can be left is the verifier's side, when an
    // earlier run had no --api-key.
    if (!opts.verifier || !opts.apiKey)
      throw new Error(
        `model ${modelId} is already registered in ${registry} (entries never change)${opts.verifier ? '; give --api-key <key> (models:write) to register it with the verifier too' : ''}`,
      );
    say(`model ${modelId} is already registered in ${registry}: registering it with the verifier only`);
    const verifier = await registerWithVerifier(opts, model, say);
    console.log(JSON.stringify({ modelId, registry, alreadyOnChain: true, verifier }, null, 2));
    return;
  }

  if (opts.lazy) {
    if (!opts.steps) throw new Error('--lazy registers step circuits: give --steps too');
    // Nothing is built: each distinct circuit is found from its generated source (seconds) and
    // registered without a verifier; the one a dispute ends on is built then (model build-step, or
    // the verifier's registrar service). No whole verifier: a model registered lazily is too big
    // to build up front, and a whole verifier would settle its disputes instead of the steps.
    const { circuits, table } = stepCircuitTable(model);
    say(`${model.layers.length} steps, ${circuits.length} distinct step circuits, all lazy (nothing built)`);
    const mined = await registerModel(clients, deployment, {
      modelId,
      stepCircuits: { verifiers: circuits.map(() => null), table },
      traceLength: model.layers.length,
    });
    say(`registered ${modelId} in ${registry} (tx ${mined.hash}, ${mined.gasUsed} gas)`);
    const verifier = await registerWithVerifier(opts, model, say);
    console.log(
      JSON.stringify(
        {
          modelId,
          registry,
          verifier,
          wholeVerifier: null,
          lazy: true,
          stepCircuits: circuits.map((c, index) => ({ index, verifier: null, ...c })),
          table,
          tx: mined.hash,
          gasUsed: Number(mined.gasUsed),
        },
        null,
        2,
      ),
    );
    return;
  }

  const keys: RegisteredKey[] = [];
  // Steps whose circuits have the same verification key (weight-free ops on the same shapes,
  // repeated identical blocks) share one deployed verifier: the registry stores it once.
  const byVkey = new Map<string, `0x${string}`>();
  const deploy = async (label: string, step?: number) => {
    const artifacts = await buildCircuit(model, {
      step,
      cacheDir: opts.cacheDir,
      onProgress: (s, detail) => say(`${label}: ${s}${detail ? ` ${detail}` : ''}`),
    });
    let verifier = byVkey.get(artifacts.vkeySha256);
    if (verifier)
      say(`${label}: same verification key as an earlier circuit, shares its verifier ${verifier}`);
    else {
      const deployed = await deployBytecode(
        clients,
        `Groth16Verifier ${label}`,
        compileGroth16Verifier(readFileSync(artifacts.verifierSolPath, 'utf8')),
      );
      verifier = deployed.address;
      byVkey.set(artifacts.vkeySha256, verifier);
      say(
        `${label}: verifier at ${verifier} (${deployed.gasUsed} gas, ${artifacts.constraints} constraints, zkey sha256 ${artifacts.zkeySha256})`,
      );
    }
    keys.push({
      step: step ?? null,
      verifier,
      zkeySha256: artifacts.zkeySha256,
      vkeySha256: artifacts.vkeySha256,
      zkey: artifacts.zkeyPath,
      vkey: artifacts.vkeyPath,
    });
    return verifier;
  };
  const whole = opts.whole === false ? undefined : await deploy('whole inference');
  const stepVerifiers: `0x${string}`[] = [];
  if (opts.steps)
    for (let i = 0; i < model.layers.length; i++)
      stepVerifiers.push(await deploy(`step ${i} (${model.layers[i].op})`, i));
  await releaseProverThreads();
  const mined = await registerModel(clients, deployment, {
    modelId,
    wholeVerifier: whole,
    stepVerifiers,
    traceLength: model.layers.length,
  });
  say(`registered ${modelId} in ${registry} (tx ${mined.hash}, ${mined.gasUsed} gas)`);
  const verifier = await registerWithVerifier(opts, model, say);
  console.log(
    JSON.stringify(
      { modelId, registry, verifier, wholeVerifier: whole ?? null, stepVerifiers, tx: mined.hash, keys },
      null,
      2,
    ),
  );
}

/**
 * With `--verifier` and `--api-key`: registers the model with that verifier too (POST /v1/models),
 * as canonical bytes, which take models of any size up to its VERIFIER_MODEL_BODY_LIMIT. Without
 * them the verifier's API does not know the model (GET /v1/models/:id answers 404, claims for it
 * are refused): says so, and what to run.
 */
export async function registerWithVerifier(
  opts: Pick<ModelRegisterOptions, 'verifier' | 'apiKey'>,
  model: Model,
  say: (line: string) => void,
): Promise<{ url: string; created: boolean } | null> {
  const modelId = computeModelId(model);
  if (!opts.verifier || !opts.apiKey) {
    say(
      opts.verifier
        ? `NOT registered with the verifier at ${opts.verifier}: it needs an API key with models:write. Run this again with --api-key <key> (or VERIFIER_API_KEY; a development verifier writes one to <VERIFIER_DB>.api-key): the chain part is done, only the verifier's is left`
        : `NOT registered with any verifier: run this again with --verifier <url> --api-key <key> (a key with models:write) so that its API knows ${modelId}`,
    );
    return null;
  }
  // An LLM's hundreds of MB take longer than an API call's usual 30 s to send and check.
  const { created } = await new VerifierClient(opts.verifier, {
    apiKey: opts.apiKey,
    timeoutMs: 600_000,
  }).registerModelBytes(encodeModel(model), model.name);
  say(`registered ${modelId} with the verifier at ${opts.verifier}${created ? '' : ' (it knew it already)'}`);
  return { url: opts.verifier, created };
}
