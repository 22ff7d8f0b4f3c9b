import {
  compileGroth16Verifier,
  createChainClients,
  deployBytecode,
  devPrivateKey,
  modelRegistryAbi,
  registerModel,
} from '@verilay/chain';
import { VerifierClient } from '@verilay/client';
import { computeModelId, modelToJson, parseModel } from '@verilay/inference';
import { buildCircuit, releaseProverThreads } from '@verilay/zk';
import { readFileSync } from 'node:fs';

export interface ModelRegisterOptions {
  readonly verifier?: string;
  readonly rpcUrl?: string;
  readonly registry?: `0x${string}`;
  readonly key?: `0x${string}`;
  readonly devRegistrar?: boolean;
  readonly steps?: boolean;
  readonly whole?: boolean;
  readonly cacheDir?: string;
  /** With `verifier`: also register the model with that verifier (POST /v1/models, models:write). */
  readonly apiKey?: string;
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
 * verifier; `--steps` adds one verifier per trace step (bisection disputes). The output publishes
 * each key's sha256: the development setup is deterministic (docs/trusted-setup.md), so anyone
 * can rebuild the keys and compare, and provers check their key against these verifiers.
 */
export async function modelRegister(file: string, opts: ModelRegisterOptions): Promise<void> {
  const model = parseModel(readFileSync(file, 'utf8'));
  const modelId = computeModelId(model);
  const started = performance.now();
  const say = (line: string) =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

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
  const registered = await clients.public.readContract({
    address: registry,
    abi: modelRegistryAbi,
    functionName: 'isRegistered',
    args: [modelId],
  });
  if (registered)
    throw new Error(`model ${modelId} is already registered in ${registry} (entries never change)`);

  const keys: RegisteredKey[] = [];
  const deploy = async (label: string, step?: number) => {
    const artifacts = await buildCircuit(model, {
      step,
      cacheDir: opts.cacheDir,
      onProgress: (s, detail) => say(`${label}: ${s}${detail ? ` ${detail}` : ''}`),
    });
    const deployed = await deployBytecode(
      clients,
      `Groth16Verifier ${label}`,
      compileGroth16Verifier(readFileSync(artifacts.verifierSolPath, 'utf8')),
    );
    say(
      `${label}: verifier at ${deployed.address} (${deployed.gasUsed} gas, ${artifacts.constraints} constraints, zkey sha256 ${artifacts.zkeySha256})`,
    );
    keys.push({
      step: step ?? null,
      verifier: deployed.address,
      zkeySha256: artifacts.zkeySha256,
      vkeySha256: artifacts.vkeySha256,
      zkey: artifacts.zkeyPath,
      vkey: artifacts.vkeyPath,
    });
    return deployed.address;
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
  if (opts.verifier && opts.apiKey) {
    await new VerifierClient(opts.verifier, { apiKey: opts.apiKey }).registerModel(modelToJson(model));
    say(`registered ${modelId} with the verifier at ${opts.verifier}`);
  }
  console.log(
    JSON.stringify(
      { modelId, registry, wholeVerifier: whole ?? null, stepVerifiers, tx: mined.hash, keys },
      null,
      2,
    ),
  );
}
