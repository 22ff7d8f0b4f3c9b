import { Controller, Get, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { readDispute, readDisputeMoves, spentClock } from '@verilay/chain';
import { DisputeRepository, Listings, type DisputeEntity } from '@verilay/storage';
import { Clock } from '../clock';
import { NotFoundError } from '../http/not-found.error';
import { ChainContext } from './chain-context';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How long a dispute's game, as read from the chain, is served again. One read is seven RPC
 * calls, five of them log scans from the deployment block; without it every unauthenticated GET
 * (thousands a minute per client under the rate limit) multiplied into the RPC provider.
 */
export const GAME_VIEW_TTL_MS = 1000;

const row = (d: DisputeEntity) => ({
  disputeId: d.disputeId,
  claimId: d.claimId,
  challenger: d.challenger,
  status: d.status,
  challengerWon: d.challengerWon,
  note: d.note,
  openedAt: iso(d.openedAt),
  updatedAt: iso(d.updatedAt),
});

/** JSON has no bigint: chain integers as decimal strings, the rest as they are. */
const plain = (args: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(args).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));

/** Disputes against the verifier's claims: its own record, and the game as the chain has it. */
@ApiTags('disputes')
@Controller('v1/disputes')
export class DisputesController {
  /** Chain reads by dispute id: one in flight or fresh serves every request for it. */
  private readonly games = new Map<number, { readonly at: number; readonly view: Promise<GameView> }>();

  constructor(
    private readonly disputes: DisputeRepository,
    private readonly listings: Listings,
    private readonly chain: ChainContext,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Disputes opened against this verifier’s claims, newest first' })
  async list(@Query('limit') limit?: string) {
    const n = Math.min(500, Math.max(1, Number(limit) || 50));
    return { disputes: (await this.listings.disputes(n)).map(row) };
  }

  @Get(':disputeId')
  @ApiOperation({
    summary:
      "One dispute's game: phase, bisection range [lo, hi], both clocks and who is on the move, every move with its transaction",
  })
  @ApiOkResponse({ description: 'The dispute' })
  @ApiNotFoundResponse({ description: 'DISPUTE_NOT_FOUND' })
  async get(@Param('disputeId', ParseIntPipe) disputeId: number) {
    const record = await this.disputes.find(disputeId);
    if (!record)
      throw new NotFoundError('DISPUTE_NOT_FOUND', `No dispute ${disputeId} against this verifier's claims`);
    return { ...row(record), ...(await this.game(disputeId)) };
  }

  private game(disputeId: number): Promise<GameView> {
    const now = this.clock.now();
    const fresh = this.games.get(disputeId);
    if (fresh && now - fresh.at < GAME_VIEW_TTL_MS) return fresh.view;
    for (const [id, entry] of this.games) if (now - entry.at >= GAME_VIEW_TTL_MS) this.games.delete(id);
    const view = this.readGame(disputeId);
    this.games.set(disputeId, { at: now, view });
    // A failed read is not served again.
    view.catch(() => this.games.get(disputeId)?.view === view && this.games.delete(disputeId));
    return view;
  }

  private async readGame(disputeId: number) {
    const { sequencer: clients, deployment } = this.chain;
    const [game, moves, block] = await Promise.all([
      readDispute(clients, deployment, BigInt(disputeId)),
      readDisputeMoves(clients, deployment, BigInt(disputeId)),
      clients.public.getBlock(),
    ]);
    const open = game.phaseName !== 'resolved';
    const onMove = game.phaseName === 'await-choice' ? 'challenger' : 'defender';
    return {
      game: {
        phase: game.phaseName,
        bisection: game.bisection,
        lo: game.lo,
        hi: game.hi,
        operator: game.operator,
        liable: game.liable,
        challengerClockS: Number(game.challengerClock),
        defenderClockS: Number(game.defenderClock),
        turnStartedAt: iso(Number(game.turnStartedAt) * 1000),
        onMove: open ? onMove : null,
        clockSpent: open ? (spentClock(game, block.timestamp) ?? null) : null,
        chainTime: iso(Number(block.timestamp) * 1000),
        challengerWon: open ? null : game.challengerWon,
      },
      moves: moves.map((m) => ({
        kind: m.kind,
        block: Number(m.blockNumber),
        transactionHash: m.transactionHash,
        args: plain(m.args),
      })),
    };
  }
}

type GameView = Awaited<ReturnType<DisputesController['readGame']>>;
