import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Listings, type BatchEntity } from '@verilay/storage';
import { Clock } from '../clock';
import { BatchListQueryDto, ClaimListQueryDto } from './listings.dto';
import { BatchListDto, ClaimListDto, ModelListDto } from './listings-view.dto';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A batch's window end; unknown (null) while its posting waits to be mined. */
const windowEnd = (b: BatchEntity) =>
  b.windowEndsAt >= Number.MAX_SAFE_INTEGER ? null : iso(b.windowEndsAt);

/** Lists for dashboards and integrators: newest first, keyset-paged (`next` → `before`). */
@ApiTags('listings')
@Controller('v1')
export class ListingsController {
  constructor(
    private readonly listings: Listings,
    private readonly clock: Clock,
  ) {}

  @Get('claims')
  @ApiOperation({ summary: 'Claims, newest first; filter by status, operator, model' })
  @ApiOkResponse({ type: ClaimListDto })
  async claims(@Query() query: ClaimListQueryDto) {
    const limit = query.limit ?? 50;
    const [t, id] = query.before?.split('_') ?? [];
    const rows = await this.listings.claims(
      { status: query.status, operator: query.operator, modelId: query.modelId },
      limit,
      query.before ? { submittedAt: Number(t), claimId: id } : undefined,
    );
    const last = rows[rows.length - 1];
    return {
      claims: rows.map((c) => ({
        claimId: c.claimId,
        modelId: c.modelId,
        operator: c.operator,
        status: c.status,
        reason: c.reason,
        batchId: c.batchId,
        submittedAt: iso(c.submittedAt),
        updatedAt: iso(c.updatedAt),
      })),
      next: rows.length === limit ? `${last.submittedAt}_${last.claimId}` : null,
    };
  }

  @Get('batches')
  @ApiOperation({
    summary: 'Batches, newest first, with their challenge window (and the server time, for countdowns)',
  })
  @ApiOkResponse({ type: BatchListDto })
  async batches(@Query() query: BatchListQueryDto) {
    const limit = query.limit ?? 50;
    const rows = await this.listings.batches(limit, query.before);
    return {
      now: iso(this.clock.now()),
      batches: rows.map((b) => ({
        id: b.id,
        root: b.root,
        count: b.count,
        status: b.status,
        createdAt: iso(b.createdAt),
        windowEndsAt: windowEnd(b),
        closedAt: iso(b.closedAt),
        chainIndex: b.chainIndex,
        postTx: b.postTx,
      })),
      next: rows.length === limit ? rows[rows.length - 1].id : null,
    };
  }

  @Get('models')
  @ApiOperation({
    summary: 'Registered models, newest first (GET /v1/models/:id for one, with its circuits and keys)',
  })
  @ApiOkResponse({ type: ModelListDto })
  async models() {
    const models = await this.listings.models();
    return { models: models.map((m) => ({ ...m, createdAt: iso(m.createdAt) })) };
  }
}
