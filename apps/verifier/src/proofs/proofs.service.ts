import {
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { IllegalTransitionError, statusesAccepting } from '@verilay/protocol';
import {
  ClaimRepository,
  ProofJobRepository,
  StaleClaimStatusError,
  type ProofJobEntity,
} from '@verilay/storage';
import { ProverPool, releaseProverThreads, type InferenceProof } from '@verilay/zk';
import { modelRegistryAbi, proveClaim, provingKeyCheck, toSolidityProof } from '@verilay/chain';
import { ChainContext } from '../chain/chain-context';
import { claimFieldsOf } from '../chain/claim-fields';
import { Clock } from '../clock';
import { Leadership } from '../cluster/leadership';
import { VerifierConfig } from '../config/verifier.config';
import { NotFoundError } from '../http/not-found.error';
import { ModelNotProvableError } from './model-not-provable.error';
import { ModelsService } from '../models/models.service';

/** Warm provers kept per model: proving keys are megabytes, so only a few. */
const PROVERS = 4;

/**
 * Validity proofs of claims: requests are stored as jobs and proven one at a time in process.
 * A circuit is built on a model's first request (cached on disk), and its prover stays warm.
 * A proof of the claimed output makes the claim final at once (`validityProven`); a proof of a
 * different output is recorded as `claim-false` (slashing on chain comes with the contracts).
 */
@Injectable()
export class ProofsService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(ProofsService.name);
  private readonly provers: ProverPool;
  private draining?: Promise<void>;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private unlisten?: () => void;

  constructor(
    private readonly jobs: ProofJobRepository,
    private readonly claims: ClaimRepository,
    private readonly models: ModelsService,
    private readonly clock: Clock,
    private readonly config: VerifierConfig,
    private readonly leadership: Leadership,
    @Optional() private readonly chain?: ChainContext,
  ) {
    this.provers = new ProverPool({
      cacheDir: config.zkCacheDir,
      size: PROVERS,
      onProgress: (modelId, step, detail) => this.logger.log({ msg: 'circuit build', modelId, step, detail }),
      // On a chain, a key is used only once it matches the registered verifier (finding 7).
      checkKey: chain && provingKeyCheck(chain.sequencer, chain.deployment),
    });
  }

  /**
   * Any replica takes requests; the leader proves them. It looks for new jobs every batch
   * interval (a request taken by another replica kicks nobody here), and on becoming the leader
   * it takes over the jobs a former leader left 'proving'.
   */
  async onApplicationBootstrap(): Promise<void> {
    this.unlisten = this.leadership.onChange((role) => {
      if (role === 'leader') void this.resume();
    });
    if (this.leadership.isLeader) await this.resume();
    // A sole replica is kicked by its own requests; a replica's leader looks for the others'.
    if (this.leadership.replicated) this.timer = setInterval(() => this.kick(), this.config.batchIntervalMs);
  }

  private async resume(): Promise<void> {
    const requeued = await this.jobs.requeueInterrupted(this.clock.now());
    if (requeued) this.logger.log({ msg: 'proof jobs resumed (a restart, or a new leader)', requeued });
    this.kick();
  }

  /**
   * Runs before any module shuts down (TypeORM closes the database in its own shutdown hook):
   * stop taking jobs and let the current database work finish. A proof still running after a
   * few seconds is abandoned; its job stays 'proving' and is re-queued at the next boot.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unlisten?.();
    await Promise.race([this.draining, new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  async onApplicationShutdown(): Promise<void> {
    await releaseProverThreads();
  }

  /** Queues a proof of the claim's inference (or returns the job already open for it). */
  async request(claimId: string): Promise<{ job: ProofJobEntity; created: boolean }> {
    const record = await this.claims.find(claimId);
    if (!record) throw new NotFoundError('CLAIM_NOT_FOUND', `No claim ${claimId}`);
    if (!(await this.claims.findTaskInput(claimId)))
      throw new NotFoundError(
        'TASK_INPUT_UNAVAILABLE',
        `The operator of ${claimId} submitted no task data to prove`,
      );
    if (this.chain) await this.requireWholeVerifier(this.chain, record.claim.modelId as `0x${string}`);
    const result = await this.jobs.request(claimId, this.clock.now(), this.config.maxOpenProofs);
    if (result.created) this.logger.log({ msg: 'proof requested', claimId, proofId: result.job.id });
    this.kick();
    return result;
  }

  /**
   * On a chain a proof counts only through the model's registered whole-inference verifier: a
   * model registered for bisection only (or not at all) would cost a circuit build for nothing.
   */
  private async requireWholeVerifier(chain: ChainContext, modelId: `0x${string}`): Promise<void> {
    const [wholeVerifier] = await chain.sequencer.public.readContract({
      address: chain.deployment.registry,
      abi: modelRegistryAbi,
      functionName: 'model',
      args: [modelId],
    });
    if (/^0x0{40}$/.test(wholeVerifier)) throw new ModelNotProvableError(modelId);
  }

  async get(id: number): Promise<ProofJobEntity> {
    const job = await this.jobs.find(id);
    if (!job) throw new NotFoundError('PROOF_NOT_FOUND', `No proof job ${id}`);
    return job;
  }

  /** Works through the queue; one pass at a time. */
  private kick(): void {
    if (this.stopped || !this.leadership.isLeader) return;
    this.draining ??= this.drain()
      .catch((e: unknown) => this.logger.error({ msg: 'proof queue stopped', error: String(e) }))
      .finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    for (
      let job = await this.jobs.take(this.clock.now());
      job && !this.stopped && this.leadership.isLeader;
      job = await this.jobs.take(this.clock.now())
    ) {
      try {
        await this.prove(job);
      } catch (e) {
        this.logger.error({ msg: 'proof failed', proofId: job.id, claimId: job.claimId, error: String(e) });
        await this.jobs.fail(job.id, e instanceof Error ? e.message : String(e), this.clock.now());
      }
    }
  }

  private async prove(job: ProofJobEntity): Promise<void> {
    const record = await this.claims.find(job.claimId);
    const input = await this.claims.findTaskInput(job.claimId);
    if (!record || !input) throw new Error('claim or task input disappeared');
    const { claim } = record;
    const model = await this.models.get(claim.modelId);
    const prover = await this.provers.get(model);
    const started = performance.now();
    const proof = await prover.prove(
      JSON.parse(input.data) as number[],
      input.salt ? BigInt(input.salt) : 0n,
    );
    if (proof.inputCommitment !== claim.inputCommitment)
      throw new Error('the stored task input does not match the claim');
    const verdict = proof.outputCommitment === claim.outputCommitment ? 'claim-true' : 'claim-false';
    // The claim moves first and the job completes last: whoever sees the job proven sees the
    // claim final, and a crash in between re-runs the job (the second move is a no-op).
    if (verdict === 'claim-true') await this.finalizeProvenClaim(job, claimFieldsOf(claim), proof.proof);
    await this.jobs.complete(job.id, verdict, JSON.stringify(proof), this.clock.now());
    this.logger.log({
      msg: 'proof done',
      proofId: job.id,
      claimId: job.claimId,
      verdict,
      seconds: ((performance.now() - started) / 1000).toFixed(2),
    });
  }

  private async finalizeProvenClaim(
    job: ProofJobEntity,
    fields: ReturnType<typeof claimFieldsOf>,
    proof: InferenceProof['proof'],
  ): Promise<void> {
    const current = (await this.claims.find(job.claimId))!.claim.status;
    if (!statusesAccepting('validityProven').includes(current)) return;
    if (this.chain) {
      // On chain the proof is what makes the claim final (and rejects any dispute open on it); the
      // database follows only once the contract has accepted it.
      const mined = await proveClaim(
        this.chain.sequencer,
        this.chain.deployment,
        fields,
        toSolidityProof(proof),
      );
      this.logger.log({
        msg: 'claim proven on chain',
        claimId: job.claimId,
        tx: mined.hash,
        gasUsed: Number(mined.gasUsed),
      });
    }
    // The chain's own DisputeResolved event may have moved a challenged claim already.
    await this.claims
      .applyEvent(job.claimId, 'validityProven', `Groth16 proof ${job.id}`, this.clock.now())
      .catch((e: unknown) => {
        if (!(e instanceof StaleClaimStatusError || e instanceof IllegalTransitionError)) throw e;
      });
  }
}
