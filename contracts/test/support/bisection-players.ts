// Test support: plays a bisection dispute to the end with scripted strategies for both sides.
import {
  chooseHalf,
  claimTimeout,
  readDispute,
  revealMidpoint,
  submitStepProof,
  toSolidityProof,
  type Mined,
} from '@verilay/chain';
import type { ChainFixture, MadeClaim } from './chain-fixture';
import { advance } from './chain-fixture';
import type { ZkModel } from './zk-models';

export type ChallengerStrategy =
  /** Agrees exactly when the revealed commitment is the true one; proves the true step when it can. */
  | 'honest'
  /** Disagrees with everything. */
  | 'contrarian'
  /** Agrees with everything. */
  | 'agreeable'
  /** Chooses by the bits of a seed. */
  | { random: number };

export interface Players {
  readonly challenger: ChallengerStrategy;
  /** The defender's move number at which it stops answering (never, if undefined). */
  readonly defenderSilentAt?: number;
  readonly challengerSilentAt?: number;
  /** Which fixture actor opened the dispute (default 'challenger'). */
  readonly challengerActor?: 'challenger' | 'challenger2';
}

export interface GameResult {
  readonly challengerWon: boolean;
  readonly moves: number;
  readonly gasUsed: bigint;
  readonly resolution: number;
}

/** Rounds of bisection over L steps, plus the final step and its proof: a hard bound on moves. */
export const maxMoves = (traceLength: number) => 2 * Math.ceil(Math.log2(traceLength)) + 3;

/**
 * Plays dispute `disputeId` over `made` (the operator's claim; its trace may lie) until it is
 * resolved. The defender can only reveal its committed trace; it proves the last step when the
 * true step reaches its h_hi. Throws if the game does not end within `maxMoves`.
 */
export async function playBisection(
  f: ChainFixture,
  zk: ZkModel,
  disputeId: bigint,
  made: MadeClaim,
  players: Players,
): Promise<GameResult> {
  let defenderMoves = 0;
  let challengerMoves = 0;
  let gasUsed = 0n;
  const spend = (m: Mined<unknown>) => (gasUsed += m.gasUsed);
  const limit = maxMoves(zk.model.layers.length);
  const challengerClients = f.clients[players.challengerActor ?? 'challenger'];
  for (let turn = 0; turn <= limit + 1; turn++) {
    const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
    if (d.phaseName === 'resolved')
      return {
        challengerWon: d.challengerWon,
        moves: defenderMoves + challengerMoves,
        gasUsed,
        resolution: d.resolution,
      };
    const mid = Math.floor((d.lo + d.hi) / 2);
    if (d.phaseName === 'await-reveal') {
      if (players.defenderSilentAt === defenderMoves) {
        await advance(f, Number(f.params.clock) + 1);
        spend(await claimTimeout(f.clients.challenger, f.deployment, disputeId));
        continue;
      }
      defenderMoves++;
      spend(
        await revealMidpoint(
          f.clients.sequencer,
          f.deployment,
          disputeId,
          made.trace[mid],
          made.traceTree.proof(mid),
        ),
      );
    } else if (d.phaseName === 'await-choice') {
      if (players.challengerSilentAt === challengerMoves) {
        await advance(f, Number(f.params.clock) + 1);
        spend(await claimTimeout(f.clients.sequencer, f.deployment, disputeId));
        continue;
      }
      challengerMoves++;
      const s = players.challenger;
      const agree =
        s === 'honest'
          ? d.hMid === made.truth[mid]
          : s === 'contrarian'
            ? false
            : s === 'agreeable'
              ? true
              : ((s.random >> challengerMoves) & 1) === 1;
      spend(await chooseHalf(challengerClients, f.deployment, disputeId, agree));
    } else if (d.phaseName === 'await-step-proof') {
      const prover = zk.steps[d.lo];
      const knowsStep = made.truth[d.lo] === d.hLo; // a proof needs the tensor behind h_lo
      const stepTrue = knowsStep && made.truth[d.lo + 1] === d.hHi;
      const defenderAnswers = players.defenderSilentAt !== defenderMoves;
      if (stepTrue && defenderAnswers) {
        defenderMoves++;
        const p = await prover.prove(made.input, made.salt);
        spend(
          await submitStepProof(
            f.clients.sequencer,
            f.deployment,
            disputeId,
            p.outputCommitment,
            toSolidityProof(p.proof),
          ),
        );
      } else if (
        knowsStep &&
        !stepTrue &&
        players.challenger === 'honest' &&
        players.challengerSilentAt !== challengerMoves
      ) {
        challengerMoves++;
        const p = await prover.prove(made.input, made.salt);
        spend(
          await submitStepProof(
            challengerClients,
            f.deployment,
            disputeId,
            p.outputCommitment,
            toSolidityProof(p.proof),
          ),
        );
      } else {
        await advance(f, Number(f.params.clock) + 1);
        spend(await claimTimeout(f.clients.challenger, f.deployment, disputeId));
      }
    } else {
      throw new Error(`unexpected phase ${d.phaseName}`);
    }
  }
  throw new Error(`dispute ${disputeId} did not end within ${limit} moves`);
}
