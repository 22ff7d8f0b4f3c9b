import { Controller, Get, Header, Optional } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ClaimRepository } from '@verilay/storage';
import { CLAIM_STATUSES } from '@verilay/protocol';
import { ReplayQueue } from '@verilay/workers';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly claims: ClaimRepository,
    /** The defender's replays: present with a chain. */
    @Optional() private readonly replays?: ReplayQueue,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  async scrape(): Promise<string> {
    const counts = new Map((await this.claims.countByStatus()).map((r) => [r.status, Number(r.count)]));
    for (const status of CLAIM_STATUSES) this.metrics.claimsByStatus.set({ status }, counts.get(status) ?? 0);
    if (this.replays) this.metrics.executors.update('disputes', this.replays.describe());
    return this.metrics.registry.metrics();
  }
}
