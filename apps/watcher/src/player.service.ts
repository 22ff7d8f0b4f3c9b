import { errorMessage } from '@verilay/errors';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  chooseHalf,
  claimTimeout,
  provingKeyCheck,
  readDispute,
  readStepCircuit,
  spentClock,
  stepProofTurnStart,
  submitStepProof,
  submitValidityProof,
  toSolidityProof,
  verilayClaimsAbi,
  withdraw,
  type Mined,
} from '@verilay/chain';
import { VerifierClient } from '@verilay/client';
import { claimLeaf } from '@verilay/commitments';
import { pickClaimFields } from '@verilay/protocol';
import { WatcherRepository, type WatcherDispute } from '@verilay/storage';
import { ProverPool, releaseProverThreads } from '@verilay/zk';
import { ClaimReplayer, type Replay } from './claim-replayer.service';
import { decodePosting } from './posting-data';
import { WatcherChain } from './watcher-chain';
import { WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

/**
 * Plays the watcher's disputes to the end as the challenger: a validity proof of the true output
 * (small models), or the bisection choices its own replay dictates and the true step's proof;
 * claims the defender's timeout; then withdraws its winnings. Every move is derived from the
 * chain's state and a fresh replay, so a restart simply carries on.
 */
@Injectable()
export class PlayerService implements OnApplicationShutdown {
  private readonly logger = new Logger(PlayerService.name);
  private readonly verifier: VerifierClient;
  private readonly provers: ProverPool;
  /** Disputes (and their step) already logged as waiting for a lazy step verifier. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly chain: WatcherChain,
    private readonly repository: WatcherRepository,
    private readonly replayer: ClaimReplayer,
    private readonly config: WatcherConfig,
    private readonly metrics: WatcherMetrics,
  ) {
    this.verifier = new VerifierClient(config.verifierUrl, 15_000);
    // INVARIANT: no move is proven with a key the registered verifier would reject (finding 7).
    this.provers = new ProverPool({
      cacheDir: config.zkCacheDir,
      checkKey: provingKeyCheck(chain.clients, chain.deployment),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await releaseProverThreads();
  }

  async playAll(): Promise<void> {
    for (const row of await this.repository.disputes('open')) {
      try {
        await this.play(row);
      } catch (error) {
        this.logger.error({
          msg: 'dispute move failed (retried next tick)',
          disputeId: row.disputeId,
          claimId: row.claimId,
          error: errorMessage(error),
        });
      }
    }
    for (const row of [
      ...(await this.repository.disputes('won')),
      ...(await this.repository.disputes('lost')),
    ])
      await this.collect(row).catch((error) =>
        this.logger.error({
          msg: 'withdrawal failed (retried next tick)',
          disputeId: row.disputeId,
          error: errorMessage(error),
        }),
      );
  }

  private async play(row: WatcherDispute): Promise<void> {
    const { clients, deployment } = this.chain;
    const id = BigInt(row.disputeId);
    const d = await readDispute(clients, deployment, id);
    if (d.phaseName === 'resolved') {
      await this.repository.setDisputeStatus(row.disputeId, d.challengerWon ? 'won' : 'lost');
      this.metrics.disputes.inc({ event: d.challengerWon ? 'won' : 'lost' });
      this.logger.log({
        msg: d.challengerWon ? 'dispute won' : 'dispute lost',
        disputeId: row.disputeId,
        claimId: row.claimId,
      });
      return;
    }
    let turn = d;
    if (d.phaseName === 'await-step-proof') {
      // A step circuit registered lazily: no clock runs and no proof can be checked until the
      // registrar sets its verifier (timeout and submitStepProof would revert), so wait for it.
      const circuit = await readStepCircuit(clients, deployment, d.modelId, d.lo);
      if (circuit && !circuit.verifier) return this.waitForRegistrar(row, d.lo, circuit.circuitIndex);
      if (circuit) turn = { ...d, turnStartedAt: stepProofTurnStart(d.turnStartedAt, circuit) };
    }
    const now = (await clients.public.getBlock()).timestamp;
    if (spentClock(turn, now) === 'defender')
      return this.moved(row, 'defender timed out', await claimTimeout(clients, deployment, id));

    const replay = await this.replay(row);
    if (!replay.ok) throw new Error(`cannot replay the disputed claim: ${replay.reason}`);
    const truth = replay.result.traceCommitments;

    if (d.phaseName === 'await-validity-proof') {
      const proof = await (await this.provers.get(replay.model)).prove(replay.input, replay.salt);
      if (proof.outputCommitment === d.hHi)
        throw new Error('our proof confirms the claimed output: the replay was wrong');
      return this.moved(
        row,
        'validity proof of the true output',
        await submitValidityProof(
          clients,
          deployment,
          id,
          proof.outputCommitment,
          toSolidityProof(proof.proof),
        ),
      );
    }
    if (d.phaseName === 'await-choice') {
      const mid = Math.floor((d.lo + d.hi) / 2);
      const agree = d.hMid === truth[mid];
      return this.moved(
        row,
        `${agree ? 'agree' : 'disagree'} at step ${mid}`,
        await chooseHalf(clients, deployment, id, agree),
      );
    }
    if (d.phaseName === 'await-step-proof' && d.hLo === truth[d.lo] && d.hHi !== truth[d.lo + 1]) {
      const proof = await (await this.provers.get(replay.model, d.lo)).prove(replay.input, replay.salt);
      return this.moved(
        row,
        `proof of step ${d.lo}`,
        await submitStepProof(clients, deployment, id, proof.outputCommitment, toSolidityProof(proof.proof)),
      );
    }
    // Otherwise it is the defender's move: wait for it or for its clock to run out.
  }

  /**
   * The disputed claim's replay, on the replayer's dispute thread, from the claim and task input
   * stored when it was found wrong (a verifier that stops serving them cannot stop the game).
   */
  private async replay(row: WatcherDispute): Promise<Replay> {
    const stored = await this.repository.wrongPosting(row.claimId);
    if (stored) {
      const data = decodePosting(stored);
      return this.replayer.replay(row.claimId, data.claim, { data: data.input, salt: BigInt(data.salt) });
    }
    // A dispute adopted from the chain with no record of ours: the verifier's data, checked.
    const claim = pickClaimFields(await this.verifier.getClaim(row.claimId));
    // SAFETY: moves follow a replay of the disputed claim only, never of fields the verifier made up.
    if (claimLeaf(claim) !== row.claimId.toLowerCase())
      throw new Error('the verifier serves other claim fields than the disputed leaf');
    const task = await this.verifier.getTaskInput(row.claimId);
    return this.replayer.replay(row.claimId, claim, {
      data: task.data,
      salt: task.salt ? BigInt(task.salt) : 0n,
    });
  }

  private async collect(row: WatcherDispute): Promise<void> {
    const { clients, deployment } = this.chain;
    const credit = await clients.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'credit',
      args: [clients.account.address],
    });
    if (credit > 0n) {
      const mined = await withdraw(clients, deployment);
      this.logger.log({ msg: 'winnings withdrawn', amountWei: credit.toString(), tx: mined.hash });
    }
    await this.repository.setDisputeStatus(row.disputeId, 'withdrawn', row.status);
  }

  /** Logs once per dispute and step that the game waits for the registrar. */
  private waitForRegistrar(row: WatcherDispute, step: number, circuitIndex: number): void {
    const key = `${row.disputeId}:${step}`;
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.logger.warn({
      msg: 'dispute waits for the registrar to set its step verifier (no clock runs)',
      disputeId: row.disputeId,
      claimId: row.claimId,
      step,
      circuitIndex,
    });
  }

  private moved(row: WatcherDispute, move: string, mined: Mined<unknown>): void {
    this.logger.log({
      msg: 'dispute move',
      disputeId: row.disputeId,
      claimId: row.claimId,
      move,
      tx: mined.hash,
      gasUsed: Number(mined.gasUsed),
    });
  }
}
