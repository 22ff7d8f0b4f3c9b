import { Injectable, Logger, Optional } from '@nestjs/common';
import { checkProvingKey, ProvingKeyMismatchError } from '@verilay/chain';
import { BaseError, errorMessage } from '@verilay/errors';
import { circuitBuildDir, DEV_BEACON, readCircuitBuild, type CircuitArtifacts } from '@verilay/zk';
import { createHash } from 'node:crypto';
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { ChainContext } from '../chain/chain-context';
import { VerifierConfig } from '../config/verifier.config';
import { ModelsService } from '../models/models.service';

/** No key of this model has that content hash here. */
export class KeyNotFoundError extends BaseError {
  readonly code = 'KEY_NOT_FOUND';
}

/** One published key file: its content address and size. */
export interface KeyFileView {
  readonly sha256: string;
  readonly bytes: number;
  /** Where this verifier serves it. */
  readonly url: string;
}

/** A built circuit's keys, and how they compare with the verifier registered on chain. */
export interface KeyEntryView {
  /** null: the whole-inference circuit; else the trace step. */
  readonly step: number | null;
  readonly circuitHash: string;
  readonly constraints: number;
  readonly zkey: KeyFileView;
  readonly vkey: KeyFileView;
  /** null without a chain. `matches`: the verifier compiled from this key is the registered code. */
  readonly onChain: {
    readonly verifier: `0x${string}` | null;
    readonly codeHash: `0x${string}` | null;
    readonly matches: boolean;
    readonly reason: string | null;
  } | null;
}

/** How long a key that does not (yet) match the chain is trusted to stay so before a re-check. */
const RECHECK_MS = 60_000;

/**
 * The proving and verification keys this verifier holds, published read-only by content hash
 * (finding 7 of issue 11): anyone can fetch a registered model's key, check its sha256 and
 * compare it with a rebuild (the development setup is deterministic, docs/trusted-setup.md).
 * Only keys already built are served; nothing here builds (building is an admin action).
 */
@Injectable()
export class KeysService {
  private readonly logger = new Logger(KeysService.name);
  /** Build directories per model (whole, then each step): generating the circuits once per model. */
  private readonly dirs = new Map<string, readonly string[]>();
  /** One chain check per build directory, shared by concurrent requests while in flight. */
  private readonly checks = new Map<string, KeyCheckEntry>();
  /** Files whose content was hashed and matched their manifest: `path:size:mtime`. */
  private readonly verified = new Set<string>();

  constructor(
    private readonly models: ModelsService,
    private readonly config: VerifierConfig,
    @Optional() private readonly chain?: ChainContext,
  ) {}

  /** The model's built keys (404 MODEL_NOT_FOUND for a model this verifier does not know). */
  async list(modelId: string): Promise<{
    modelId: string;
    beacon: typeof DEV_BEACON;
    keys: KeyEntryView[];
  }> {
    const builds = await this.builds(modelId);
    const keys: KeyEntryView[] = [];
    for (const build of builds)
      keys.push({
        step: build.step,
        circuitHash: build.circuitHash,
        constraints: build.constraints,
        zkey: this.fileView(modelId, build.zkeySha256, build.zkeyPath),
        vkey: this.fileView(modelId, build.vkeySha256, build.vkeyPath),
        onChain: await this.onChain(build),
      });
    return { modelId, beacon: DEV_BEACON, keys };
  }

  /** A key file by its sha256, checked against its content before it is served. */
  async file(modelId: string, sha256: string): Promise<{ stream: ReadStream; name: string; bytes: number }> {
    for (const build of await this.builds(modelId))
      for (const [hash, path, name] of [
        [build.zkeySha256, build.zkeyPath, `${sha256}.zkey`],
        [build.vkeySha256, build.vkeyPath, `${sha256}.vkey.json`],
      ] as const)
        if (hash === sha256) {
          const { size, mtimeMs } = statSync(path);
          const id = `${path}:${size}:${mtimeMs}`;
          if (!this.verified.has(id)) {
            if ((await hashFile(path)) !== sha256) {
              this.logger.error({ msg: 'key file differs from its manifest; not served', modelId, path });
              break;
            }
            this.verified.add(id);
          }
          return { stream: createReadStream(path), name, bytes: size };
        }
    throw new KeyNotFoundError(`No key of model ${modelId} has sha256 ${sha256} here`, {
      details: 'GET /v1/models/:modelId/keys lists the keys this verifier serves.',
    });
  }

  private async builds(modelId: string): Promise<CircuitArtifacts[]> {
    const id = modelId.toLowerCase();
    let dirs = this.dirs.get(id);
    if (!dirs) {
      const model = await this.models.get(id);
      const cacheDir = this.config.zkCacheDir;
      dirs = [
        circuitBuildDir(model, { cacheDir }),
        ...model.layers.map((_, step) => circuitBuildDir(model, { cacheDir, step })),
      ];
      this.dirs.set(id, dirs);
    }
    return dirs.map(readCircuitBuild).filter((b): b is CircuitArtifacts => b !== undefined);
  }

  private fileView(modelId: string, sha256: string, path: string): KeyFileView {
    return { sha256, bytes: statSync(path).size, url: `/v1/models/${modelId}/keys/${sha256}` };
  }

  /**
   * The key against the registered verifier; a match is final (entries never change). Concurrent
   * requests share the check in flight: each check reads the key and compiles a verifier with solc.
   */
  private onChain(build: CircuitArtifacts): Promise<KeyEntryView['onChain']> {
    if (!this.chain) return Promise.resolve(null);
    const cached = this.checks.get(build.dir);
    if (cached && (!cached.settled || cached.matches || Date.now() - cached.at < RECHECK_MS))
      return cached.result;
    const entry: KeyCheckEntry = {
      at: Date.now(),
      settled: false,
      matches: false,
      result: this.check(build),
    };
    this.checks.set(build.dir, entry);
    entry.result.then(
      (result) => Object.assign(entry, { at: Date.now(), settled: true, matches: result?.matches ?? false }),
      // Not a verdict (the chain is unreachable, say): the next request checks again.
      () => this.checks.get(build.dir) === entry && this.checks.delete(build.dir),
    );
    return entry.result;
  }

  private async check(build: CircuitArtifacts): Promise<KeyEntryView['onChain']> {
    try {
      const { verifier, codeHash } = await checkProvingKey(
        this.chain!.sequencer,
        this.chain!.deployment,
        build,
      );
      return { verifier, codeHash, matches: true, reason: null };
    } catch (error) {
      if (!(error instanceof ProvingKeyMismatchError)) throw error;
      return {
        verifier: error.verifier ?? null,
        codeHash: null,
        matches: false,
        reason: errorMessage(error),
      };
    }
  }
}

interface KeyCheckEntry {
  /** When the check started, then when it settled. */
  at: number;
  settled: boolean;
  matches: boolean;
  readonly result: Promise<KeyEntryView['onChain']>;
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
