import { BaseError, errorMessage } from '@verilay/errors';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  claimTimeout,
  ContractRevertError,
  provideSignature,
  provingKeyCheck,
  readDispute,
  readStepCircuit,
  spentClock,
  revealMidpoint,
  submitStepProof,
  submitValidityProof,
  toSolidityProof,
} from '@verilay/chain';
import { TraceTree, traceRoot } from '@verilay/commitments';
import { encodeModel } from '@verilay/inference';
import { createReplayExecutor } from '@verilay/queue';
import { ReplayQueue } from '@verilay/workers';
import { ClaimRepository, DisputeRepository, type DisputeEntity } from '@verilay/storage';
import { ProverPool, releaseProverThreads } from '@verilay/zk';
import { Clock } from '../clock';
import { VerifierConfig } from '../config/verifier.config';
import { ModelsService } from '../models/models.service';
import { MetricsService } from '../metrics/metrics.service';
import { ChainContext } from './chain-context';
import { claimFieldsOf } from './claim-fields';

/** A defence move that cannot be made for an operational reason: alerted and retried, never conceded. */
export class DefenceBlockedError extends BaseError {
  readonly code = 'DEFENCE_BLOCKED';
  constructor(
    readonly reason: 'no-task-input' | 'model-unknown' | 'input-mismatch',
    message: string,
  ) {
    super(message, { meta: { reason } });
  }
}

/**
 * Answers every dispute over a leaf the verifier holds, through whichever batch (its own, or
 * another sequencer's reposting of it) the dispute goes (docs/security.md, finding 9). Before each
 * move it replays the claim from the stored task data: a claim its own replay confirms is defended
 * to the end (signature, validity proof, trace reveals, the final step proof). Only a claim the
 * replay proves false is conceded, so no gas is spent defending a lie (the chain slashes the
 * operator when its clock runs out). A claim it cannot replay for an operational reason (task data
 * or model missing, a replay that fails) is never conceded: the move is retried every pass and
 * counted in verilay_defence_failures_total, which operators alert on. It also ends the disputes
 * the chain lets it win at once (docs/security.md, finding 3b): a challenger who stops moving
 * would otherwise keep the posting disputed and the operator's stake locked for ever.
 */
@Injectable()
export class DisputeDefender implements OnApplicationShutdown {
  private readonly logger = new Logger(DisputeDefender.name);
  private readonly provers: ProverPool;
  /** Disputes (and their step) already logged as waiting for a lazy step verifier. */
  private readonly waiting = new Set<string>();
  /**
   * With replays elsewhere than on this machine's CPU (VERILAY_REDIS_URL workers, or the GPU): a
   * CPU thread here, to confirm a replay that disagrees with the claim.
   */
  private readonly ownReplays?: ReplayQueue;

  constructor(
    private readonly chain: ChainContext,
    private readonly claims: ClaimRepository,
    private readonly disputes: DisputeRepository,
    private readonly models: ModelsService,
    private readonly replays: ReplayQueue,
    private readonly clock: Clock,
    private readonly config: VerifierConfig,
    private readonly metrics: MetricsService,
  ) {
    // INVARIANT: no defence is proven with a key the registered verifier would reject (finding 7).
    this.provers = new ProverPool({
      cacheDir: config.zkCacheDir,
      checkKey: provingKeyCheck(chain.sequencer, chain.deployment),
    });
    if (replays.describe().kind !== 'cpu')
      this.ownReplays = new ReplayQueue(createReplayExecutor({ threads: 1, executor: 'cpu' }));
  }

  async onApplicationShutdown(): Promise<void> {
    await releaseProverThreads();
    await Promise.all([this.replays.close(), this.ownReplays?.close()]);
  }

  /** One move in every open dispute where it is our turn; a failing dispute does not stop the others. */
  async defendAll(): Promise<void> {
    for (const row of await this.disputes.open()) {
      try {
        await this.defend(row);
      } catch (e) {
        const reason = e instanceof DefenceBlockedError ? e.reason : 'move-failed';
        this.metrics.defenceFailures.inc({ reason });
        this.logger.error({
          msg: 'ALERT: defence move failed (retried next tick; the claim is not conceded)',
          disputeId: row.disputeId,
          claimId: row.claimId,
          reason,
          error: errorMessage(e),
        });
      }
    }
  }

  private async defend(row: DisputeEntity): Promise<void> {
    const { sequencer, deployment } = this.chain;
    const id = BigInt(row.disputeId);
    const d = await readDispute(sequencer, deployment, id);
    if (d.phaseName === 'resolved') return;
    const due = await this.timeoutDue(d);
    if (due) return this.timeOut(row, due);
    if (d.phaseName === 'await-choice') return; // the challenger's move
    // A step circuit registered lazily: its proof cannot be checked (nor its clock run) until the
    // registrar sets its verifier; wait without replaying, proving or counting a failure.
    if (d.phaseName === 'await-step-proof' && (await this.waitingForRegistrar(row, d.modelId, d.lo))) return;
    const record = await this.claims.find(row.claimId);
    if (!record) return this.concede(row, 'claim not found');
    const c = record.claim;
    const fields = claimFieldsOf(c);
    if (d.phaseName === 'await-signature') {
      const mined = await provideSignature(sequencer, deployment, id, fields, c.signature as `0x${string}`);
      return this.moved(row, 'signature shown', mined);
    }

    // SAFETY: the posting policy posts only claims whose task input is stored and whose model is
    // known, so a missing one is an operational fault (a lost file, a restore gone wrong), never
    // evidence against the claim: alert and retry rather than let an honest claim be slashed.
    const input = await this.claims.findTaskInput(row.claimId);
    if (!input) throw new DefenceBlockedError('no-task-input', 'no task input stored for the claim');
    const model = await this.models.find(c.modelId);
    if (!model) throw new DefenceBlockedError('model-unknown', `model ${c.modelId} is not stored here`);
    const data = JSON.parse(input.data) as number[];
    const salt = input.salt ? BigInt(input.salt) : 0n;
    // Replayed on the verifier's own worker threads (libs/workers), like a watcher does.
    const job = {
      id: `dispute-${row.disputeId}-${c.claimId}`,
      modelId: c.modelId as `0x${string}`,
      modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
      input: data,
      salt: `0x${salt.toString(16)}`,
    } as const;
    // SAFETY: with VERILAY_REDIS_URL that replay is a worker's word (or anyone's who writes to
    // Redis), and on the GPU another implementation's (a vendor's compiler and driver) than the
    // reference CPU kernels: one that disagrees with the claim would concede it, and one that
    // fails (a failure stored for good under the job's id) would block the defence until the
    // clock runs out; the honest operator would be slashed either way. Only our own CPU replay
    // may say so.
    const own = this.ownReplays;
    const remote = await this.replays
      .submit(job)
      .catch((error: unknown) => (own ? undefined : Promise.reject(error)));
    // (The trace commitments too: the moves reveal them, and a root alone says nothing of them.)
    const agrees =
      remote?.inputCommitment === c.inputCommitment &&
      remote.outputCommitment === c.outputCommitment &&
      remote.traceRoot === c.traceRoot &&
      traceRoot(remote.traceCommitments) === c.traceRoot;
    const task = own && !agrees ? await own.submit(job) : remote!;
    // Intake checked the input against its commitment, so a mismatch means the stored data changed.
    if (task.inputCommitment !== c.inputCommitment)
      throw new DefenceBlockedError('input-mismatch', 'the stored task input does not match the claim');
    // Never defend a false claim: our own final step proof would prove it false.
    if (task.outputCommitment !== c.outputCommitment) return this.concede(row, 'replay gives another output');

    if (d.phaseName === 'await-validity-proof') {
      const p = await (await this.provers.get(model)).prove(data, salt);
      const mined = await submitValidityProof(
        sequencer,
        deployment,
        id,
        p.outputCommitment,
        toSolidityProof(p.proof),
      );
      return this.moved(row, 'validity proof', mined);
    }
    // Bisection: only a trace the replay reproduces can be revealed and proven step by step.
    if (task.traceRoot !== c.traceRoot) return this.concede(row, 'replay gives another trace');
    if (d.phaseName === 'await-reveal') {
      const mid = Math.floor((d.lo + d.hi) / 2);
      const tree = new TraceTree(task.traceCommitments);
      const mined = await revealMidpoint(
        sequencer,
        deployment,
        id,
        task.traceCommitments[mid],
        tree.proof(mid),
      );
      return this.moved(row, `revealed step ${mid}`, mined);
    }
    if (d.phaseName === 'await-step-proof') {
      const p = await (await this.provers.get(model, d.lo)).prove(data, salt);
      const mined = await submitStepProof(
        sequencer,
        deployment,
        id,
        p.outputCommitment,
        toSolidityProof(p.proof),
      );
      return this.moved(row, `step ${d.lo} proven`, mined);
    }
  }

  /**
   * Why the contract's `timeout` would end the dispute in our favour now, if it would: the leaf
   * was proven valid (`proveClaim`; disputes on it then end upheld at once), or the challenger has
   * spent its clock. Block time decides, as on chain: the local clock may run ahead of it.
   */
  private async timeoutDue(d: Awaited<ReturnType<typeof readDispute>>) {
    if (await this.chain.leafValidated(d.leaf)) return 'leaf-validated' as const;
    if (d.phaseName !== 'await-choice') return undefined;
    return spentClock(d, await this.chain.blockTime()) ? ('challenger-clock' as const) : undefined;
  }

  private async timeOut(row: DisputeEntity, reason: 'leaf-validated' | 'challenger-clock'): Promise<void> {
    try {
      const mined = await claimTimeout(this.chain.sequencer, this.chain.deployment, BigInt(row.disputeId));
      this.metrics.disputeTimeouts.inc({ reason });
      this.moved(row, `timeout (${reason})`, mined);
    } catch (e) {
      // Someone else ended it first, or the challenger moved in time: the next pass reads it again.
      if (!(e instanceof ContractRevertError)) throw e;
      this.logger.log({ msg: 'timeout not claimed', disputeId: row.disputeId, reason: e.errorName });
    }
  }

  /** Whether the disputed step's circuit still has no verifier (logged once per dispute and step). */
  private async waitingForRegistrar(
    row: DisputeEntity,
    modelId: `0x${string}`,
    step: number,
  ): Promise<boolean> {
    const circuit = await readStepCircuit(this.chain.sequencer, this.chain.deployment, modelId, step);
    if (!circuit || circuit.verifier) return false;
    const key = `${row.disputeId}:${step}`;
    if (!this.waiting.has(key)) {
      this.waiting.add(key);
      this.logger.warn({
        msg: 'dispute waits for the registrar to set its step verifier (no clock runs)',
        disputeId: row.disputeId,
        claimId: row.claimId,
        step,
        circuitIndex: circuit.circuitIndex,
      });
    }
    return true;
  }

  private moved(row: DisputeEntity, move: string, mined: { hash: string; gasUsed: bigint }): void {
    this.metrics.chainGasUsed.inc({ action: 'defence' }, Number(mined.gasUsed));
    this.logger.log({
      msg: 'defence move',
      disputeId: row.disputeId,
      claimId: row.claimId,
      move,
      tx: mined.hash,
      gasUsed: Number(mined.gasUsed),
    });
  }

  private async concede(row: DisputeEntity, reason: string): Promise<void> {
    await this.disputes.setStatus(row.disputeId, 'conceded', this.clock.now(), { note: reason });
    this.metrics.disputes.inc({ event: 'conceded' });
    this.logger.warn({ msg: 'dispute conceded', disputeId: row.disputeId, claimId: row.claimId, reason });
  }
}
