import type { VerilayDeployment } from '@verilay/chain';
import { BaseError } from '@verilay/errors';
import type { ClaimFields, ClaimStatus, ClaimSubmission, GenerationSpan } from '@verilay/protocol';
import { MODEL_MEDIA_TYPE } from '@verilay/inference';
import { readEventStream, type EventStreamOptions, type VerilayEvent } from './event-stream';
import { MalformedResponseError, readCappedBytes, readCappedJson } from './read-capped-json';

const KiB = 1024;
/** Room for an answer's ids, shape and keys around its bulk. */
const SLACK_BYTES = 4 * KiB;
/** The longest a task input value is written in JSON: `-2147483648,`. */
const BYTES_PER_INPUT_VALUE = 12;
/** One claim of a batch answer: six fields, id and signature with their keys, rounded up. */
const BYTES_PER_BATCH_CLAIM = 2 * KiB;

/**
 * Byte caps on the verifier's answers, per call: whoever asks knows how large a true answer can
 * be, and nothing past that is read (an answer of a few hundred MB aborts V8 while it parses).
 */
export const ANSWER_CAPS = {
  /** Any answer without a cap of its own. */
  default: 1024 * KiB,
  /** A model registered under a body limit of `bodyLimit` (the verifier's default 4 MB), and its summary. */
  model: (bodyLimit = 4 * 1024 * KiB) => bodyLimit + 64 * KiB,
  /** A model's canonical bytes, registered under the verifier's `VERIFIER_MODEL_BODY_LIMIT` (256 MiB). */
  modelBytes: (bodyLimit = 256 * 1024 * KiB) => bodyLimit,
  /** A task input of `elements` values (the model's input size); default the verifier's most. */
  input: (elements = 1 << 22) => elements * BYTES_PER_INPUT_VALUE + SLACK_BYTES,
  /** A batch of `claims` claims (its count on chain); default the verifier's largest batch. */
  batch: (claims = 10_000) => claims * BYTES_PER_BATCH_CLAIM + SLACK_BYTES,
} as const;

/** A cap on one call's answer, in bytes (see `ANSWER_CAPS`). */
export interface ReadOptions {
  readonly maxBytes?: number;
}

/** An error answer of the verifier API, with its machine-readable code. */
export class VerifierApiError extends BaseError {
  readonly code: string;
  constructor(
    readonly status: number,
    body: { error?: { code?: string; message?: string } },
  ) {
    super(`verifier answered ${status}: ${body.error?.message ?? 'no message'}`, { meta: { status } });
    this.code = body.error?.code ?? 'HTTP_ERROR';
  }
}

export interface ClaimView {
  readonly claimId: `0x${string}`;
  readonly modelId: `0x${string}`;
  readonly taskId: `0x${string}`;
  readonly operator: `0x${string}`;
  readonly inputCommitment: `0x${string}`;
  readonly outputCommitment: `0x${string}`;
  readonly traceRoot: `0x${string}`;
  readonly output: readonly number[] | null;
  /** A generation claim's span, else null. */
  readonly generation: GenerationSpan | null;
  readonly status: ClaimStatus;
  readonly reason: string | null;
  readonly batch: {
    readonly id: number;
    readonly root: `0x${string}`;
    readonly count: number;
    /** null while an on-chain batch waits to be mined. */
    readonly windowEndsAt: string | null;
    /** The batch's index in the claim contract (null off chain, or not posted yet). */
    readonly chainIndex: number | null;
    readonly postTx: `0x${string}` | null;
  } | null;
  readonly timestamps: Partial<Record<ClaimStatus, string>>;
  readonly history: readonly {
    readonly from: ClaimStatus | null;
    readonly to: ClaimStatus;
    readonly at: string;
    readonly reason: string | null;
  }[];
}

export interface ProofView {
  readonly proofId: number;
  readonly claimId: `0x${string}`;
  readonly status: 'queued' | 'proving' | 'proven' | 'failed';
  /** claim-true: the proof shows the claimed output; claim-false: the model gives another. */
  readonly verdict: 'claim-true' | 'claim-false' | null;
  readonly error: string | null;
  /** InferenceProof (libs/zk): proof, publicSignals, commitments, output. */
  readonly proof: {
    readonly proof: unknown;
    readonly publicSignals: readonly [string, string];
    readonly inputCommitment: `0x${string}`;
    readonly outputCommitment: `0x${string}`;
    readonly output: readonly number[];
  } | null;
}

export interface TaskInputView {
  readonly claimId: `0x${string}`;
  readonly modelId: `0x${string}`;
  readonly inputCommitment: `0x${string}`;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly data: readonly number[];
  readonly salt: `0x${string}` | null;
}

/** A typed client of the verifier's HTTP API (what operators, watchers and the demo use). */
export interface ChainView {
  readonly chainId: number;
  /** Only for the verifier's embedded development chain. */
  readonly rpcUrl?: string;
  readonly claims: `0x${string}`;
  readonly registry: `0x${string}`;
  readonly deployBlock: string;
  readonly sequencer: `0x${string}`;
  readonly domain: {
    readonly name: string;
    readonly version: string;
    readonly chainId: number;
    readonly verifyingContract: `0x${string}`;
  };
}

/** The contracts a verifier's `GET /v1/chain` names, as libs/chain actions take them. */
export function chainDeployment(view: ChainView): VerilayDeployment {
  return {
    chainId: view.chainId,
    claims: view.claims,
    registry: view.registry,
    deployBlock: BigInt(view.deployBlock),
  };
}

export interface BatchView {
  readonly chainIndex: number;
  readonly root: `0x${string}`;
  readonly count: number;
  readonly postTx: `0x${string}` | null;
  readonly claims: readonly (ClaimFields & {
    readonly claimId: `0x${string}`;
    readonly signature: `0x${string}`;
  })[];
}

export interface ClaimListQuery {
  readonly status?: ClaimStatus;
  readonly operator?: string;
  readonly modelId?: string;
  readonly limit?: number;
  readonly before?: string;
}

export interface ClaimList {
  readonly claims: readonly {
    readonly claimId: `0x${string}`;
    readonly modelId: `0x${string}`;
    readonly operator: `0x${string}`;
    readonly status: ClaimStatus;
    readonly reason: string | null;
    readonly batchId: number | null;
    readonly submittedAt: string;
    readonly updatedAt: string;
  }[];
  readonly next: string | null;
}

export interface BatchList {
  readonly now: string;
  readonly batches: readonly {
    readonly id: number;
    readonly root: `0x${string}`;
    readonly count: number;
    readonly status: 'open' | 'closed';
    readonly createdAt: string;
    readonly windowEndsAt: string | null;
    readonly closedAt: string | null;
    readonly chainIndex: number | null;
    readonly postTx: `0x${string}` | null;
  }[];
  readonly next: number | null;
}

/** `?a=1&b=x` of the defined fields, or '' when none. */
function queryString(query: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface WebhookSubscription {
  readonly url: string;
  readonly types?: readonly VerilayEvent['type'][];
  readonly operator?: string;
  readonly modelId?: string;
}

export interface WebhookView {
  readonly id: number;
  readonly url: string;
  readonly types: readonly VerilayEvent['type'][] | null;
  readonly operator: string | null;
  readonly modelId: string | null;
  readonly active: boolean;
  readonly createdAt: string;
  readonly deliveries?: { readonly pending: number; readonly delivered: number; readonly failed: number };
}

export interface WebhookDelivery {
  readonly id: number;
  readonly eventId: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

export interface VerifierClientOptions {
  readonly timeoutMs?: number;
  /** An API key (`verilay api-key mint`), sent as a bearer token; admin calls need one. */
  readonly apiKey?: string;
  /** The cap on answers of calls without a cap of their own (default `ANSWER_CAPS.default`). */
  readonly maxBytes?: number;
}

export class VerifierClient {
  private readonly timeoutMs: number;
  private readonly apiKey?: string;
  private readonly maxBytes: number;

  /** `options` as a number is the timeout in ms (the older signature). */
  constructor(
    private readonly baseUrl: string,
    options: VerifierClientOptions | number = {},
  ) {
    const o = typeof options === 'number' ? { timeoutMs: options } : options;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.apiKey = o.apiKey;
    this.maxBytes = o.maxBytes ?? ANSWER_CAPS.default;
  }

  /** Admin: needs an API key with scope models:write. */
  registerModel(document: unknown): Promise<{ modelId: `0x${string}`; created: boolean }> {
    return this.request('POST', '/v1/models', document);
  }

  /**
   * Admin (models:write): registers a model from its canonical bytes (a `.vlm` file), for models
   * of any size up to the verifier's `VERIFIER_MODEL_BODY_LIMIT`; the bytes hold no name.
   */
  registerModelBytes(
    bytes: Uint8Array,
    name?: string,
  ): Promise<{ modelId: `0x${string}`; created: boolean }> {
    const query = name === undefined ? '' : `?name=${encodeURIComponent(name)}`;
    return this.request('POST', `/v1/models${query}`, bytes);
  }

  /**
   * A model's summary, and its document when the model is small enough to be served as JSON
   * (`document` is null otherwise: read `getModelBytes`).
   */
  getModel(
    modelId: string,
    options: ReadOptions = {},
  ): Promise<{ modelId: `0x${string}`; name: string; layers: number; bytes: number; document: unknown }> {
    return this.request('GET', `/v1/models/${modelId}`, undefined, options.maxBytes ?? ANSWER_CAPS.model());
  }

  /** A model's canonical bytes, as registered; check them against the modelId (keccak256) before use. */
  async getModelBytes(modelId: string, options: ReadOptions = {}): Promise<Buffer> {
    const path = `/v1/models/${modelId}`;
    const response = await this.send('GET', path, undefined, MODEL_MEDIA_TYPE);
    const maxBytes = options.maxBytes ?? ANSWER_CAPS.modelBytes();
    if (!response.ok) throw await this.apiError(response, path, maxBytes);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith(MODEL_MEDIA_TYPE)) {
      await response.body?.cancel().catch(() => undefined);
      throw new MalformedResponseError(path, new Error(`content-type ${JSON.stringify(type)}`));
    }
    return readCappedBytes(response, path, maxBytes);
  }

  submitClaims(
    claims: readonly ClaimSubmission[],
  ): Promise<{ claims: { claimId: `0x${string}`; status: ClaimStatus }[] }> {
    return this.request('POST', '/v1/claims', { claims });
  }

  /** Claims, newest first, filtered; pass the answer's `next` as `before` for the next page. */
  listClaims(query: ClaimListQuery = {}): Promise<ClaimList> {
    return this.request('GET', `/v1/claims${queryString(query)}`);
  }

  /** Batches, newest first, with their windows and the verifier's clock (`now`). */
  listBatches(query: { limit?: number; before?: number } = {}): Promise<BatchList> {
    return this.request('GET', `/v1/batches${queryString(query)}`);
  }

  /** Registered models, newest first. */
  listModels(): Promise<{
    models: { modelId: `0x${string}`; name: string; bytes: number; createdAt: string }[];
  }> {
    return this.request('GET', '/v1/models');
  }

  /**
   * The verifier's events as they happen (`GET /v1/events`), resumed after a dropped connection
   * without a gap or a repeat: `for await (const e of client.events({ after: 0 })) …`.
   */
  events(options: EventStreamOptions = {}): AsyncGenerator<VerilayEvent> {
    return readEventStream(this.baseUrl, options);
  }

  /** Admin (webhooks:write): subscribes a URL; the answer's `secret` is shown this once. */
  createWebhook(subscription: WebhookSubscription): Promise<WebhookView & { secret: string }> {
    return this.request('POST', '/v1/webhooks', subscription);
  }

  /** Admin (webhooks:write). */
  listWebhooks(): Promise<{ webhooks: WebhookView[] }> {
    return this.request('GET', '/v1/webhooks');
  }

  /** Admin (webhooks:write): a subscription with its delivery counts. */
  getWebhook(id: number): Promise<WebhookView> {
    return this.request('GET', `/v1/webhooks/${id}`);
  }

  /** Admin (webhooks:write): stops a subscription; its pending deliveries become failed. */
  async deleteWebhook(id: number): Promise<void> {
    const path = `/v1/webhooks/${id}`;
    const response = await this.send('DELETE', path, undefined);
    if (!response.ok) throw await this.apiError(response, path, this.maxBytes);
    await response.body?.cancel().catch(() => undefined);
  }

  /** Admin (webhooks:write): deliveries, newest first; pass `next` as `before` for the next page. */
  webhookDeliveries(
    id: number,
    query: { status?: 'pending' | 'delivered' | 'failed'; before?: number; limit?: number } = {},
  ): Promise<{ deliveries: WebhookDelivery[]; next: number | null }> {
    return this.request('GET', `/v1/webhooks/${id}/deliveries${queryString(query)}`);
  }

  getClaim(claimId: string): Promise<ClaimView> {
    return this.request('GET', `/v1/claims/${claimId}`);
  }

  /** Pass `maxBytes: ANSWER_CAPS.input(elements)` when the model (its input size) is known. */
  getTaskInput(claimId: string, options: ReadOptions = {}): Promise<TaskInputView> {
    return this.request(
      'GET',
      `/v1/tasks/${claimId}/input`,
      undefined,
      options.maxBytes ?? ANSWER_CAPS.input(),
    );
  }

  /** Requests a Groth16 validity proof of a claim's inference (small models). Admin: proofs:write. */
  requestProof(claimId: string): Promise<ProofView> {
    return this.request('POST', '/v1/proofs', { claimId });
  }

  getProof(proofId: number): Promise<ProofView> {
    return this.request('GET', `/v1/proofs/${proofId}`);
  }

  /**
   * The claims (with signatures) behind the batch at `chainIndex` of the claim contract. Pass
   * `maxBytes: ANSWER_CAPS.batch(count)` with the batch's count on chain.
   */
  getBatch(chainIndex: number | bigint, options: ReadOptions = {}): Promise<BatchView> {
    return this.request(
      'GET',
      `/v1/batches/${chainIndex}`,
      undefined,
      options.maxBytes ?? ANSWER_CAPS.batch(),
    );
  }

  /** The verifier's chain: contracts, sequencer, and the EIP-712 domain operators sign claims for. */
  chain(): Promise<ChainView> {
    return this.request('GET', '/v1/chain');
  }

  health(): Promise<{ status: string }> {
    return this.request('GET', '/health');
  }

  /**
   * Throws `ResponseTooLargeError` for an answer over `maxBytes` (read no further),
   * `MalformedResponseError` for a successful answer that is not JSON, `VerifierApiError` for an
   * error answer.
   */
  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    maxBytes = this.maxBytes,
  ): Promise<T> {
    const response = await this.send(method, path, body);
    if (!response.ok) throw await this.apiError(response, path, maxBytes);
    return (await readCappedJson(response, path, maxBytes)) as T;
  }

  /** Sends JSON, or a model's canonical bytes when `body` is bytes. */
  private send(method: string, path: string, body: unknown, accept?: string): Promise<Response> {
    const bytes = body instanceof Uint8Array;
    return fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': bytes ? MODEL_MEDIA_TYPE : 'application/json' }),
        ...(accept ? { accept } : {}),
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      },
      body: body === undefined ? undefined : bytes ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  private async apiError(response: Response, path: string, maxBytes: number): Promise<VerifierApiError> {
    const error = await readCappedJson(response, path, Math.min(maxBytes, ANSWER_CAPS.default)).catch(
      (e: unknown) => (e instanceof MalformedResponseError ? {} : Promise.reject(e)),
    );
    return new VerifierApiError(
      response.status,
      (error ?? {}) as { error?: { code?: string; message?: string } },
    );
  }
}
