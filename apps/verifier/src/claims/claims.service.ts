import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import {
  claimLeaf,
  FIELD_MODULUS,
  InvalidFieldElementError,
  toHex32,
  type TensorCommitter,
} from '@verilay/commitments';
import { BaseError } from '@verilay/errors';
import { checkGenerationClaim, InvalidGenerationError } from '@verilay/generation';
import { InvalidInputError, tensorSize, toInputTensor, type Model } from '@verilay/inference';
import {
  claimDomain,
  CommitmentMismatchError,
  InvalidSignatureError,
  TooManyClaimsError,
  TooManyValuesError,
  UnknownModelError,
  type ClaimDomain,
  type ClaimFields,
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
import { ClaimSignerRecovery } from './claim-signer-recovery';
import { Coalescer } from './coalescer';
import type { CommitResult, SignedFields, TensorToCommit } from './intake-jobs';
import { IntakeThreads } from './intake-threads';
import { ModelNotOnChainError, OperatorBondShortError, TaskInputRequiredError } from './intake-policy.errors';

export const TENSOR_COMMITTER = Symbol('TensorCommitter');

/**
 * Claim intake: every check runs before anything is stored, and a request is stored whole or not
 * at all. On a chain it also applies what the posting policy can know now (docs/security.md,
 * finding 3): the task input is sent, the model is registered on chain, and the operator's free
 * bond covers a dispute stake for each of its claims in flight. The batcher checks the bond again
 * when it batches (./batching/posting-policy.ts).
 *
 * Throughput (docs/benchmarks.md): signer recovery and commitment hashing run off the event loop
 * (ClaimSignerRecovery: libuv's pool natively, else the intake threads; commitments on the intake
 * threads), and concurrent requests share one sqlite commit (ClaimRepository's group commit); an
 * answer still comes only once its claims are on disk.
 */
@Injectable()
export class ClaimsService implements OnModuleInit {
  private readonly logger = new Logger(ClaimsService.name);
  private readonly domain: ClaimDomain;
  /** Concurrent requests' signatures and commitments, one native call / thread message per loop turn. */
  private readonly recoverSigners: Coalescer<SignedFields, `0x${string}` | null>;
  private readonly commit: Coalescer<TensorToCommit, CommitResult>;

  constructor(
    private readonly claims: ClaimRepository,
    private readonly models: ModelsService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly meta: MetaRepository,
    @Inject(TENSOR_COMMITTER) private readonly committer: TensorCommitter,
    private readonly config: VerifierConfig,
    private readonly signers: ClaimSignerRecovery,
    private readonly threads: IntakeThreads,
    @Optional() private readonly chain?: ChainContext,
  ) {
    this.domain = claimDomain(config.chainId, config.claimsContract);
    this.recoverSigners = new Coalescer((claims) => this.signers.recover(claims, this.domain));
    this.commit = new Coalescer((tensors) => this.threads.commit(tensors));
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
    const rows = await this.check(submissions);
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

  /**
   * Checks every claim and builds its row. The refusal is the one a claim-by-claim check gives:
   * the first failing claim's first failing check (model, chain policy, signature, commitments),
   * though signatures and commitments of all claims are computed together, off the event loop.
   */
  private async check(submissions: readonly ClaimSubmissionDto[]): Promise<NewClaim[]> {
    const models = new Map<string, Promise<Model | null>>(); // one lookup per distinct model
    const checked: Checked[] = [];
    for (const [index, s] of submissions.entries()) {
      try {
        checked.push(await this.checkPolicy(s, index, models));
      } catch (error) {
        checked.push({ error });
      }
    }
    const ready = checked.filter((c): c is Prepared => !('error' in c));
    const [signers, commitments] = await Promise.all([
      this.recoverSigners.run(ready.map((c) => ({ fields: c.fields, signature: c.submission.signature }))),
      this.commit.run(ready.flatMap((c) => tensorsOf(c))),
    ]);
    let next = 0;
    ready.forEach((c, i) => {
      c.signer = signers[i];
      if (c.input) c.inputCommitment = commitments[next++];
      if (c.output) c.outputCommitment = commitments[next++];
    });
    return checked.map((c, index) => {
      if ('error' in c) throw c.error;
      return this.verdict(c, index);
    });
  }

  /** What a claim must satisfy before any hashing: its model, the chain's policy, its output's size. */
  private async checkPolicy(
    s: ClaimSubmissionDto,
    index: number,
    models: Map<string, Promise<Model | null>>,
  ): Promise<Prepared> {
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
    // Errors here are raised in verdict(), after the signature's: a claim-by-claim check reports a
    // bad signature before a bad input or output.
    const prepared: Prepared = { submission: s, fields };
    if (s.input) {
      const input = s.input;
      try {
        const salt = input.salt ? BigInt(input.salt) : 0n;
        const tensor = atIndex(index, () => toInputTensor(model, input.data));
        prepared.input = { dtype: tensor.dtype, data: tensor.data, salt: String(salt) };
      } catch (error) {
        prepared.inputError = error;
      }
    }
    if (s.output) {
      const out = model.tensors[model.tensors.length - 1];
      const expected = tensorSize(out.shape);
      if (s.output.length !== expected)
        prepared.outputError = new InvalidInputError(
          `claims[${index}].output has ${s.output.length} values, the model outputs ${expected}`,
          { index },
        );
      else prepared.output = { dtype: out.dtype, data: s.output, salt: '0' };
    }
    if (s.generation) prepared.generationError = generationError(model, s, index);
    return prepared;
  }

  /** The claim's row, or its refusal in the order a claim-by-claim check gives. */
  private verdict(c: Prepared, index: number): NewClaim {
    const { fields, submission: s } = c;
    if (c.signer !== fields.operator)
      throw new InvalidSignatureError(fields.operator, c.signer ?? null, index);
    for (const commitment of [fields.inputCommitment, fields.outputCommitment])
      if (BigInt(commitment) >= FIELD_MODULUS)
        throw new InvalidFieldElementError(`claims[${index}] commitment`, commitment);
    if (s.input) {
      if (c.inputError) throw c.inputError;
      const computed = this.committed(c.inputCommitment!, c.input!, index);
      if (computed !== fields.inputCommitment)
        throw new CommitmentMismatchError('input', fields.inputCommitment, computed, index);
    }
    if (s.output) {
      if (c.outputError) throw c.outputError;
      const computed = this.committed(c.outputCommitment!, c.output!, index);
      if (computed !== fields.outputCommitment)
        throw new CommitmentMismatchError('output', fields.outputCommitment, computed, index);
    }
    if (c.generationError) throw c.generationError;
    return {
      claim: {
        claimId: claimLeaf(fields),
        ...fields,
        signature: lower(s.signature),
        output: s.output ? JSON.stringify(s.output) : null,
        generation: s.generation
          ? JSON.stringify({
              promptLength: s.generation.promptLength,
              completionLength: s.generation.completionLength,
            })
          : null,
      },
      taskInput: s.input
        ? { data: JSON.stringify(s.input.data), salt: s.input.salt ? toHex32(BigInt(s.input.salt)) : null }
        : null,
    };
  }

  /**
   * A commitment computed on a thread. Where the thread's committer failed (a salt past the field,
   * a value outside its dtype), this thread's own committer fails the same way before hashing
   * anything, and raises the typed error (with the claim's index) the API answers with.
   */
  private committed(result: CommitResult, tensor: TensorToCommit, index: number): string {
    if ('hex' in result) return result.hex;
    return atIndex(index, () => this.committer.commitTensor(tensor, BigInt(tensor.salt)));
  }
}

/** A claim whose policy checks passed, with what its signature and commitment checks found. */
interface Prepared {
  readonly submission: ClaimSubmissionDto;
  readonly fields: ClaimFields;
  input?: TensorToCommit;
  inputError?: unknown;
  output?: TensorToCommit;
  outputError?: unknown;
  generationError?: unknown;
  signer?: `0x${string}` | null;
  inputCommitment?: CommitResult;
  outputCommitment?: CommitResult;
}
type Checked = Prepared | { readonly error: unknown };

/** Why a generation claim is not one by its own data (checked after its commitments), if it is not. */
function generationError(model: Model, s: ClaimSubmissionDto, index: number): unknown {
  try {
    if (!s.input || !s.output)
      throw new InvalidGenerationError(
        `claims[${index}] is a generation claim: it needs its input and output`,
      );
    const { input, output, generation } = s;
    atIndex(index, () => checkGenerationClaim(model, generation!, input.data, output));
  } catch (error) {
    if (error instanceof BaseError) (error.meta as Record<string, unknown>).index = index;
    return error;
  }
  return undefined;
}

const tensorsOf = (c: Prepared) => [c.input, c.output].filter((t): t is TensorToCommit => t !== undefined);

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
