import type { RedisClient } from 'bullmq';
import { modelIdOfBytes } from '@verilay/inference';
import { ByteLru } from '@verilay/workers';

/** A stored model lives this long after its last upload; a producer uploads again at half of it. */
const MODEL_TTL_S = 24 * 3600;

const modelKey = (prefix: string, queue: string, modelId: string) =>
  `${prefix}:${queue}:model:${modelId.toLowerCase()}`;

/**
 * Models in Redis, once per model instead of once per job: a job names its model by id and the
 * workers read the bytes once (the MNIST MLP's 51 kB in every job cost more than its replay).
 * Only bytes that hash to their modelId are stored, so no producer can put a wrong model under a
 * right id by mistake; a worker checks the hash again before it keeps them (ModelReads).
 */
export class ModelUploads {
  /** What this producer stored lately, by id: the same bytes again need no hash and no upload. */
  private readonly uploaded: ByteLru<{ readonly hex: string; readonly at: number }>;
  constructor(
    private readonly client: () => Promise<RedisClient>,
    private readonly prefix: string,
    private readonly queue: string,
    maxBytes = 256 * 2 ** 20,
  ) {
    this.uploaded = new ByteLru(maxBytes);
  }

  /**
   * Stores the model unless this producer stored these bytes lately (`again`: even so); false,
   * storing nothing, when the bytes are not the id's.
   */
  async ensure(modelId: string, modelBytes: string, again = false): Promise<boolean> {
    const id = modelId.toLowerCase();
    const known = this.uploaded.get(id);
    // INVARIANT: a job whose bytes differ from the stored ones is hashed, never named by its id
    // alone (its bytes may not be its id's: the worker must fail it).
    if (!again && known?.hex === modelBytes && Date.now() - known.at < (MODEL_TTL_S / 2) * 1000) return true;
    const bytes = Buffer.from(modelBytes.slice(2), 'hex');
    if (modelIdOfBytes(bytes) !== id) return false;
    const client = await this.client();
    await client.set(modelKey(this.prefix, this.queue, id), bytes.toString('base64'), { EX: MODEL_TTL_S });
    this.uploaded.set(id, { hex: modelBytes, at: Date.now() }, modelBytes.length);
    return true;
  }
}

/** A worker's reads of stored models, kept within a number of bytes (hex, as jobs carry them). */
export class ModelReads {
  private readonly cache: ByteLru<`0x${string}`>;
  constructor(
    private readonly client: () => Promise<RedisClient>,
    private readonly prefix: string,
    private readonly queue: string,
    maxBytes = 256 * 2 ** 20,
  ) {
    this.cache = new ByteLru(maxBytes);
  }

  /** The model's bytes (0x-hex), or undefined when Redis has none (expired, or never stored). */
  async get(modelId: string): Promise<`0x${string}` | undefined> {
    const id = modelId.toLowerCase();
    const known = this.cache.get(id);
    if (known) return known;
    const client = await this.client();
    const key = modelKey(this.prefix, this.queue, id);
    const stored = await client.get(key);
    if (stored === null) return undefined;
    const bytes = Buffer.from(stored, 'base64');
    // SAFETY: bytes that are not the id's (anyone who writes to Redis put them there) are dropped
    // and read as missing: the producer stores the model again when the job is submitted again.
    // Replayed, they would fail every job of the model for good (REPLAY_REJECTED, never retried).
    if (modelIdOfBytes(bytes) !== id) {
      await client.del(key);
      return undefined;
    }
    const hex = `0x${bytes.toString('hex')}` as const;
    this.cache.set(id, hex, hex.length);
    return hex;
  }
}
