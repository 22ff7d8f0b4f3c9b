import { Injectable, Logger } from '@nestjs/common';
import {
  decodeModel,
  encodeModel,
  InvalidModelError,
  modelIdOfBytes,
  parseModel,
  type Model,
} from '@verilay/inference';
import { ModelRepository } from '@verilay/storage';
import { ByteLru } from '@verilay/workers';
import { Clock } from '../clock';
import { NotFoundError } from '../http/not-found.error';

/** Decoded models kept in memory, by the size of their canonical bytes (an LLM's are ~200 MB). */
const CACHE_BYTES = 1024 * 1024 * 1024;

/** Registered models: stored as canonical bytes, kept decoded in an LRU cache bounded in bytes. */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger(ModelsService.name);
  private readonly cache = new ByteLru<{ model: Model; size: number }>(CACHE_BYTES);
  private readonly loading = new Map<string, Promise<{ model: Model; size: number } | null>>();
  private readonly reading = new Map<string, Promise<Buffer>>();
  private readonly served = new Map<string, WeakRef<Buffer>>();

  constructor(
    private readonly repository: ModelRepository,
    private readonly clock: Clock,
  ) {}

  /** Validates and stores a model document; registering the same model again is a no-op. */
  async register(document: unknown): Promise<{ modelId: `0x${string}`; created: boolean; model: Model }> {
    return this.store(parseModel(document));
  }

  /**
   * Validates and stores a model given as canonical bytes (a `.vlm` file: docs/model-format.md),
   * for models too big for a JSON body. The bytes hold no name: `name` is the caller's.
   */
  async registerBytes(
    bytes: Uint8Array,
    name = 'unnamed',
  ): Promise<{ modelId: `0x${string}`; created: boolean; model: Model }> {
    if (name.length === 0 || name.length > 200)
      throw new InvalidModelError('name', 'must be a string of 1 to 200 characters');
    // Every load check and the compute budget, as for a document.
    return this.store(decodeModel(bytes, name));
  }

  /** The model, or null when no model has this id. */
  async find(modelId: string): Promise<Model | null> {
    return (await this.findSized(modelId))?.model ?? null;
  }

  async get(modelId: string): Promise<Model> {
    return (await this.getSized(modelId)).model;
  }

  /** The model and the size of its canonical bytes. */
  async getSized(modelId: string): Promise<{ model: Model; size: number }> {
    const found = await this.findSized(modelId);
    if (!found) throw new NotFoundError('MODEL_NOT_FOUND', `Model ${modelId} is not registered`);
    return found;
  }

  /**
   * The model's canonical bytes as stored (their keccak256 is the modelId). Downloads of a model
   * share one copy while any of them holds it (a slow reader holds an LLM's 200 MB), and one read.
   */
  bytes(modelId: string): Promise<Buffer> {
    const id = modelId.toLowerCase();
    const held = this.served.get(id)?.deref();
    if (held) return Promise.resolve(held);
    return shared(this.reading, id, async () => {
      const row = await this.repository.find(id);
      if (!row) throw new NotFoundError('MODEL_NOT_FOUND', `Model ${modelId} is not registered`);
      this.served.set(id, new WeakRef(row.bytes));
      return row.bytes;
    });
  }

  private findSized(modelId: string): Promise<{ model: Model; size: number } | null> {
    const id = modelId.toLowerCase();
    const cached = this.cache.get(id);
    if (cached) return Promise.resolve(cached);
    // Requests for a model not in the cache share one read and decode (an LLM's take seconds).
    return shared(this.loading, id, () => this.load(id));
  }

  private async load(id: string): Promise<{ model: Model; size: number } | null> {
    const row = await this.repository.find(id);
    if (!row) return null;
    const found = { model: decodeModel(row.bytes, row.name), size: row.bytes.length };
    this.cache.set(id, found, found.size);
    return found;
  }

  private async store(model: Model): Promise<{ modelId: `0x${string}`; created: boolean; model: Model }> {
    const bytes = encodeModel(model);
    const modelId = modelIdOfBytes(bytes);
    const created = await this.repository.register(modelId, model.name, bytes, this.clock.now());
    if (!created) return { modelId, created, model: await this.get(modelId) }; // the stored one (its name stays)
    this.logger.log({ msg: 'model registered', modelId, name: model.name, layers: model.layers.length });
    this.cache.set(modelId, { model, size: bytes.length }, bytes.length);
    return { modelId, created, model };
  }
}

/** The promise `pending` holds for `key`, or a new one from `start`, held until it settles. */
function shared<T>(pending: Map<string, Promise<T>>, key: string, start: () => Promise<T>): Promise<T> {
  let promise = pending.get(key);
  if (!promise) {
    promise = start().finally(() => pending.delete(key));
    pending.set(key, promise);
  }
  return promise;
}
