import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { recoverClaimSigner } from '@verilay/chain';
import {
  claimLeaf,
  FIELD_MODULUS,
  InvalidFieldElementError,
  toHex32,
  type TensorCommitter,
} from '@verilay/commitments';
import { BaseError } from '@verilay/errors';
import { InvalidInputError, tensorSize, toInputTensor, type Model } from '@verilay/inference';
import {
  claimDomain,
  CommitmentMismatchError,
  InvalidSignatureError,
  TooManyClaimsError,
  TooManyValuesError,
  UnknownModelError,
  type ClaimDomain,
} from '@verilay/protocol';
import { ClaimRepository, MetaRepository, type ClaimRecord, type NewClaim } from '@verilay/storage';
import { DISPUTABLE } from '../batching/posting-policy';
import { ChainContext } from '../chain/chain-context';
import { Clock } from '../clock';
import { VerifierConfig } from '../config/verifier.config';
import { NotFoundError } from '../http/not-found.error';
import { MetricsService } from '../metrics/metrics.service';
import { ModelsService } from '../models/models.service';
import type { ClaimSubmissionDto } from './claim-submission.dto';
import { ModelNotOnChainError, OperatorBondShortError, TaskInputRequiredError } from './intake-policy.errors';

export const TENSOR_COMMITTER = Symbol('TensorCommitter');

/**
 * Claim intake: every check runs before anything is stored, and a request is stored whole or not
 * at all. On a chain it also applies what the posting policy can know now (docs/security.md,
 * finding 3): the task input is sent, the model is registered on chain, and the operator's free
 * bond covers a dispute stake for each of its claims in flight. The batcher checks the bond again
 * when it batches (./batching/posting-policy.ts).
 */
@Injectable()
export class ClaimsService implements OnModuleInit {
  private readonly logger = new Logger(ClaimsService.name);
  private readonly domain: ClaimDomain;

  constructor(
    private readonly claims: ClaimRepository,
    private readonly models: ModelsService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly meta: MetaRepository,
    @Inject(TENSOR_COMMITTER) private readonly committer: TensorCommitter,
    private readonly config: VerifierConfig,
    @Optional() private readonly chain?: ChainContext,
  ) {
    this.domain = claimDomain(config.chainId, config.claimsContract);
  }

  /**
   * SAFETY: claims are signed for one EIP-712 domain (chain id + claim contract). A database
   * keeps the domain it started with; booting it with another would later post claims whose
   * signatures the contract rejects (the sequencer's fault, slashed), so refuse to start. Runs at
   * module init: before the batcher starts (application bootstrap).
   */
  async onModuleInit(): Promise<void> {
    const current = JSON.stringify({
      chainId: this.domain.chainId,
      verifyingContract: this.domain.verifyingContract,
    });
    const pinned = await this.meta.pin('claimDomain', current);
    if (pinned !== current)
      throw new Error(
        `VERILAY_CHAIN_ID / VERILAY_CLAIMS_CONTRACT do not match this database: it holds claims signed for ${pinned}, configured ${current}. Use a new VERIFIER_DB for a new chain or contract.`,
      );
  }

  async submit(
    submissions: readonly ClaimSubmissionDto[],
  ): Promise<{ claimId: `0x${string}`; status: 'submitted' }[]> {
    const { maxClaimsPerRequest, maxValuesPerRequest } = this.config;
    if (submissions.length > maxClaimsPerRequest)
      throw new TooManyClaimsError(submissions.length, maxClaimsPerRequest);
    // Refuse oversized work before doing any of it (each value costs Poseidon time).
    const values = submissions.reduce((n, s) => n + (s.input?.data.length ?? 0) + (s.output?.length ?? 0), 0);
    if (values > maxValuesPerRequest) throw new TooManyValuesError(values, maxValuesPerRequest);
    const models = new Map<string, Promise<Model | null>>(); // one lookup per distinct model
    const rows: NewClaim[] = [];
    for (const [index, submission] of submissions.entries())
      rows.push(await this.check(submission, index, models));
    if (this.chain) await this.checkBonds(this.chain, rows);
    await this.claims.insertSubmissions(rows, this.clock.now());
    this.metrics.claimsSubmitted.inc(rows.length);
    this.logger.log({ msg: 'claims stored', count: rows.length, first: rows[0].claim.claimId });
    return rows.map((r) => ({ claimId: r.claim.claimId as `0x${string}`, status: 'submitted' }));
  }

  async get(claimId: string): Promise<ClaimRecord> {
    const record = await this.claims.find(claimId);
    if (!record) throw new NotFoundError('CLAIM_NOT_FOUND', `No claim ${claimId}`);
    return record;
  }

  /** Each operator's free bond covers one dispute stake per claim of it in flight, these included. */
  private async checkBonds(chain: ChainContext, rows: readonly NewClaim[]): Promise<void> {
    const firstOf = new Map<string, number>();
    const count = new Map<string, number>();
    for (const [index, { claim }] of rows.entries()) {
      if (!firstOf.has(claim.operator)) firstOf.set(claim.operator, index);
      count.set(claim.operator, (count.get(claim.operator) ?? 0) + 1);
    }
    const operators = [...count.keys()];
    const [stake, inFlight] = await Promise.all([
      chain.disputeStake(),
      this.claims.countByOperator(operators, ['submitted', ...DISPUTABLE]),
    ]);
    for (const operator of operators) {
      const needed = stake * BigInt((inFlight.get(operator) ?? 0) + count.get(operator)!);
      const free = await chain.freeBond(operator);
      if (free < needed) throw new OperatorBondShortError(operator, free, needed, firstOf.get(operator));
    }
  }

  private async check(
    s: ClaimSubmissionDto,
    index: number,
    models: Map<string, Promise<Model | null>>,
  ): Promise<NewClaim> {
    const fields = {
      modelId: lower(s.modelId),
      taskId: lower(s.taskId),
      inputCommitment: lower(s.inputCommitment),
      outputCommitment: lower(s.outputCommitment),
      traceRoot: lower(s.traceRoot),
      operator: lower(s.operator),
    };
    if (!models.has(fields.modelId)) models.set(fields.modelId, this.models.find(fields.modelId));
    const model = await models.get(fields.modelId)!;
    if (!model) throw new UnknownModelError(fields.modelId, index);
    if (this.chain) {
      if (!s.input) throw new TaskInputRequiredError(index);
      if (!(await this.chain.isModelRegistered(fields.modelId)))
        throw new ModelNotOnChainError(fields.modelId, index);
    }

    const signer = await recoverClaimSigner(fields, s.signature, this.domain);
    if (signer?.toLowerCase() !== fields.operator)
      throw new InvalidSignatureError(fields.operator, signer, index);

    for (const commitment of [fields.inputCommitment, fields.outputCommitment])
      if (BigInt(commitment) >= FIELD_MODULUS)
        throw new InvalidFieldElementError(`claims[${index}] commitment`, commitment);

    if (s.input) {
      const salt = s.input.salt ? BigInt(s.input.salt) : 0n;
      const tensor = atIndex(index, () => toInputTensor(model, s.input!.data));
      const computed = atIndex(index, () => this.committer.commitTensor(tensor, salt));
      if (computed !== fields.inputCommitment)
        throw new CommitmentMismatchError('input', fields.inputCommitment, computed, index);
    }
    if (s.output) {
      const out = model.tensors[model.tensors.length - 1];
      const expected = tensorSize(out.shape);
      if (s.output.length !== expected)
        throw new InvalidInputError(
          `claims[${index}].output has ${s.output.length} values, the model outputs ${expected}`,
          { index },
        );
      const computed = atIndex(index, () =>
        this.committer.commitTensor({ dtype: out.dtype, data: s.output! }),
      );
      if (computed !== fields.outputCommitment)
        throw new CommitmentMismatchError('output', fields.outputCommitment, computed, index);
    }
    return {
      claim: {
        claimId: claimLeaf(fields),
        ...fields,
        signature: lower(s.signature),
        output: s.output ? JSON.stringify(s.output) : null,
      },
      taskInput: s.input
        ? { data: JSON.stringify(s.input.data), salt: s.input.salt ? toHex32(BigInt(s.input.salt)) : null }
        : null,
    };
  }
}

const lower = <T extends string>(v: T) => v.toLowerCase() as T;

/** Adds the claim's position to a domain error raised while checking it. */
function atIndex<T>(index: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BaseError) (e.meta as Record<string, unknown>).index = index;
    throw e;
  }
}
