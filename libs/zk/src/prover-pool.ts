import { computeModelId, type Model } from '@verilay/inference';
import { buildCircuit, type CircuitArtifacts } from './build-circuit';
import { Prover } from './prover';

/**
 * Checks a built key before anyone proves with it (e.g. against the verifier registered on chain:
 * libs/chain's `provingKeyCheck`); throws to refuse the key.
 */
export type KeyCheck = (artifacts: CircuitArtifacts) => Promise<void>;

/**
 * Warm provers by (model, step), built on first use (cached on disk by `buildCircuit`) and kept
 * in memory, the least recently used dropped beyond `size` (proving keys are megabytes). A failed
 * build is forgotten, so the next request tries again. With `checkKey`, a key is checked before
 * its prover is handed out; a refused key is forgotten too (no proof is ever made with it).
 */
export class ProverPool {
  private readonly provers = new Map<string, Promise<Prover>>();

  constructor(
    private readonly options: {
      readonly cacheDir?: string;
      readonly size?: number;
      readonly onProgress?: (modelId: string, step: string, detail?: string) => void;
      readonly checkKey?: KeyCheck;
    } = {},
  ) {}

  /** The prover of the whole inference (`step` undefined) or of one trace step. */
  get(model: Model, step?: number): Promise<Prover> {
    const modelId = computeModelId(model);
    const key = `${modelId}:${step ?? 'whole'}`;
    let prover = this.provers.get(key);
    if (prover) {
      this.provers.delete(key); // most recently used goes last
    } else {
      prover = buildCircuit(model, {
        cacheDir: this.options.cacheDir,
        step,
        onProgress: this.options.onProgress && ((s, detail) => this.options.onProgress!(modelId, s, detail)),
      }).then(async (artifacts) => {
        await this.options.checkKey?.(artifacts);
        return Prover.load(model, artifacts);
      });
      prover.catch(() => this.provers.delete(key));
    }
    this.provers.set(key, prover);
    if (this.provers.size > (this.options.size ?? 8)) this.provers.delete(this.provers.keys().next().value!);
    return prover;
  }
}
