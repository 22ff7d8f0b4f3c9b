import type { VerilayDeployment } from '@verilay/chain';
import { BaseError } from '@verilay/errors';
import type { ClaimFields, ClaimStatus, ClaimSubmission } from '@verilay/protocol';

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

export interface VerifierClientOptions {
  readonly timeoutMs?: number;
  /** An API key (`verilay api-key mint`), sent as a bearer token; admin calls need one. */
  readonly apiKey?: string;
}

export class VerifierClient {
  private readonly timeoutMs: number;
  private readonly apiKey?: string;

  /** `options` as a number is the timeout in ms (the older signature). */
  constructor(
    private readonly baseUrl: string,
    options: VerifierClientOptions | number = {},
  ) {
    const o = typeof options === 'number' ? { timeoutMs: options } : options;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.apiKey = o.apiKey;
  }

  /** Admin: needs an API key with scope models:write. */
  registerModel(document: unknown): Promise<{ modelId: `0x${string}`; created: boolean }> {
    return this.request('POST', '/v1/models', document);
  }

  getModel(
    modelId: string,
  ): Promise<{ modelId: `0x${string}`; name: string; layers: number; document: unknown }> {
    return this.request('GET', `/v1/models/${modelId}`);
  }

  submitClaims(
    claims: readonly ClaimSubmission[],
  ): Promise<{ claims: { claimId: `0x${string}`; status: ClaimStatus }[] }> {
    return this.request('POST', '/v1/claims', { claims });
  }

  getClaim(claimId: string): Promise<ClaimView> {
    return this.request('GET', `/v1/claims/${claimId}`);
  }

  getTaskInput(claimId: string): Promise<TaskInputView> {
    return this.request('GET', `/v1/tasks/${claimId}/input`);
  }

  /** Requests a Groth16 validity proof of a claim's inference (small models). Admin: proofs:write. */
  requestProof(claimId: string): Promise<ProofView> {
    return this.request('POST', '/v1/proofs', { claimId });
  }

  getProof(proofId: number): Promise<ProofView> {
    return this.request('GET', `/v1/proofs/${proofId}`);
  }

  /** The claims (with signatures) behind the batch at `chainIndex` of the claim contract. */
  getBatch(chainIndex: number | bigint): Promise<BatchView> {
    return this.request('GET', `/v1/batches/${chainIndex}`);
  }

  /** The verifier's chain: contracts, sequencer, and the EIP-712 domain operators sign claims for. */
  chain(): Promise<ChainView> {
    return this.request('GET', '/v1/chain');
  }

  health(): Promise<{ status: string }> {
    return this.request('GET', '/health');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const json = (await response.json().catch(() => ({}))) as T & {
      error?: { code?: string; message?: string };
    };
    if (!response.ok) throw new VerifierApiError(response.status, json);
    return json;
  }
}
