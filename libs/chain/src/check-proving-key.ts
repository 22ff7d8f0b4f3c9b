import { BaseError } from '@verilay/errors';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { keccak256 } from 'viem';
import type { ChainClients } from './chain-clients';
import { compileGroth16VerifierContract } from './compile-solidity';
import type { VerilayDeployment } from './deployment';
import { modelRegistryAbi } from './generated/contracts';

const ZERO = '0x0000000000000000000000000000000000000000';

/** A built proving key, as `buildCircuit` describes it (libs/zk's CircuitArtifacts fits). */
export interface ProvingKeyBuild {
  readonly modelId: `0x${string}`;
  /** null for the whole-inference circuit, else the trace step. */
  readonly step: number | null;
  /** The proving key provers load: the check derives the verifier from this file's content. */
  readonly zkeyPath: string;
  /** sha256 (hex) the build recorded for the key (its manifest, the published content address). */
  readonly zkeySha256: string;
}

/** What the check found: the registered verifier and the hash of its runtime code. */
export interface CheckedProvingKey {
  readonly verifier: `0x${string}`;
  readonly codeHash: `0x${string}`;
}

/** A proving key whose proofs the registered verifier would not accept; nothing is proven with it. */
export class ProvingKeyMismatchError extends BaseError {
  readonly code = 'PROVING_KEY_MISMATCH';
  constructor(
    key: ProvingKeyBuild,
    reason: string,
    details: string,
    /** The registered verifier, when there is one. */
    readonly verifier?: `0x${string}`,
  ) {
    super(
      `The proving key of model ${key.modelId} (${key.step === null ? 'whole inference' : `step ${key.step}`}) ${reason}`,
      {
        details,
        meta: { modelId: key.modelId, step: key.step, verifier },
      },
    );
  }
}

/**
 * The verifier the registry holds for a model's whole inference or one step (its circuit's, shared
 * by every step of that circuit); undefined if none, or not set yet.
 */
export async function readRegisteredVerifier(
  clients: Pick<ChainClients, 'public'>,
  deployment: Pick<VerilayDeployment, 'registry'>,
  modelId: `0x${string}`,
  step: number | null,
): Promise<`0x${string}` | undefined> {
  const [whole, traceLength, circuitCount] = await clients.public.readContract({
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'model',
    args: [modelId],
  });
  if (step === null) return whole === ZERO ? undefined : whole;
  if (circuitCount === 0n || step >= traceLength) return undefined;
  const verifier = await clients.public.readContract({
    address: deployment.registry,
    abi: modelRegistryAbi,
    functionName: 'stepVerifier',
    args: [modelId, BigInt(step)],
  });
  // Zero: the step's circuit is registered lazily and its verifier is not set yet.
  return verifier === ZERO ? undefined : verifier;
}

/**
 * The Groth16 verifier of a proving key, as the build exports it: the key's verification key
 * rendered through snarkjs' Solidity template (`snarkjs zkey export solidityverifier`).
 */
function exportKeyVerifierSource(zkey: Uint8Array): Promise<string> {
  // snarkjs' `exports` map hides templates/ from require.resolve; its main file is build/*.cjs.
  const template = readFileSync(
    join(dirname(dirname(require.resolve('snarkjs'))), 'templates/verifier_groth16.sol.ejs'),
    'utf8',
  );
  return snarkjs.zKey.exportSolidityVerifier({ type: 'mem', data: zkey }, { groth16: template });
}

/**
 * Checks a proving key against the chain before anyone relies on it. The key file is read once;
 * its sha256 must be the one its build recorded, and the Groth16 verifier exported from *its*
 * verification key, compiled with the project's pinned solc and settings (as `verilay model
 * register` deploys it), must have the runtime code at the registered verifier's address. Equal
 * code means the same verification key, so the key's proofs pass the registered verifier.
 * Nothing else in the build directory is trusted (a cached Groth16Verifier.sol may belong to
 * another key). Throws ProvingKeyMismatchError when the model has no such verifier, the file is
 * not the recorded key, or the code differs.
 */
export async function checkProvingKey(
  clients: Pick<ChainClients, 'public'>,
  deployment: Pick<VerilayDeployment, 'registry'>,
  key: ProvingKeyBuild,
): Promise<CheckedProvingKey> {
  const zkey = readFileSync(key.zkeyPath);
  const sha256 = createHash('sha256').update(zkey).digest('hex');
  if (sha256 !== key.zkeySha256)
    throw new ProvingKeyMismatchError(
      key,
      'is not the key its build recorded',
      `${key.zkeyPath} hashes to sha256 ${sha256}, its build recorded ${key.zkeySha256}: the file was replaced or corrupted. ` +
        'Rebuild the key (delete the build directory) or fetch the published key and check its sha256 (docs/trusted-setup.md).',
    );
  const verifier = await readRegisteredVerifier(clients, deployment, key.modelId, key.step);
  if (!verifier)
    throw new ProvingKeyMismatchError(
      key,
      'has no verifier registered on chain',
      `The registry ${deployment.registry} holds no ${key.step === null ? 'whole-inference' : `step ${key.step}`} verifier for this model: register it first (verilay model register).`,
    );
  const onChain = await clients.public.getCode({ address: verifier });
  const expected = compileGroth16VerifierContract(await exportKeyVerifierSource(zkey)).deployedBytecode;
  const codeHash = keccak256(expected);
  const actual = onChain ? keccak256(onChain) : undefined;
  if (actual !== codeHash)
    throw new ProvingKeyMismatchError(
      key,
      `does not match the verifier registered at ${verifier}`,
      `The verifier exported from this key (sha256 ${sha256}) compiles to runtime code hash ${codeHash}; the code at ${verifier} hashes to ${actual ?? '(no code)'}. ` +
        'Proofs made with this key would fail on chain. Rebuild the key from the same circuit, powers of tau and beacon, or fetch the published key (GET /v1/models/:modelId/keys) and check its sha256 (docs/trusted-setup.md).',
      verifier,
    );
  return { verifier, codeHash };
}

/**
 * A key check for provers (libs/zk's ProverPool `checkKey`): `checkProvingKey` once per key
 * content. Registry entries never change, so a key (by its file's sha256) that matched stays
 * matched; a refusal is not remembered (the model may be registered later).
 */
export function provingKeyCheck(
  clients: Pick<ChainClients, 'public'>,
  deployment: Pick<VerilayDeployment, 'registry'>,
): (key: ProvingKeyBuild) => Promise<void> {
  const matched = new Set<string>();
  return async (key) => {
    const sha256 = createHash('sha256').update(readFileSync(key.zkeyPath)).digest('hex');
    const id = `${key.modelId}:${key.step}:${sha256}`;
    if (sha256 === key.zkeySha256 && matched.has(id)) return;
    await checkProvingKey(clients, deployment, key);
    matched.add(id);
  };
}
