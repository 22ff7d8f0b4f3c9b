import { Injectable, Logger } from '@nestjs/common';
import { computeModelId, decodeModel, encodeModel, parseModel, type Model } from '@verilay/inference';
import { ModelRepository } from '@verilay/storage';
import { Clock } from '../clock';
import { NotFoundError } from '../http/not-found.error';

const CACHE_SIZE = 64;

/** Registered models: stored as canonical bytes, kept decoded in a small LRU cache. */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger(ModelsService.name);
  private readonly cache = new Map<string, Model>();

  constructor(
    private readonly repository: ModelRepository,
    private readonly clock: Clock,
  ) {}

  /** Validates and stores a model document; registering the same model again is a no-op. */
  async register(document: unknown): Promise<{ modelId: `0x${string}`; created: boolean; model: Model }> {
    const model = parseModel(document);
    const modelId = computeModelId(model);
    const created = await this.repository.register(modelId, model.name, encodeModel(model), this.clock.now());
    if (!created) return { modelId, created, model: await this.get(modelId) }; // the stored one (its name stays)
    this.logger.log({ msg: 'model registered', modelId, name: model.name, layers: model.layers.length });
    this.remember(modelId, model);
    return { modelId, created, model };
  }

  /** The model, or null when no model has this id. */
  async find(modelId: string): Promise<Model | null> {
    const id = modelId.toLowerCase();
    const cached = this.cache.get(id);
    if (cached) return cached;
    const row = await this.repository.find(id);
    if (!row) return null;
    const model = decodeModel(row.bytes, row.name);
    this.remember(id, model);
    return model;
  }

  async get(modelId: string): Promise<Model> {
    const model = await this.find(modelId);
    if (!model) throw new NotFoundError('MODEL_NOT_FOUND', `Model ${modelId} is not registered`);
    return model;
  }

  private remember(modelId: string, model: Model) {
    this.cache.delete(modelId);
    this.cache.set(modelId, model);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
  }
}
