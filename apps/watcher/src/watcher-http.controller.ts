import { Controller, Get, Header } from '@nestjs/common';
import { nativeStatus } from '@verilay/native';
import { WatcherRepository } from '@verilay/storage';
import { ClaimReplayer } from './claim-replayer.service';
import { WatcherChain } from './watcher-chain';
import { WatcherLoop } from './watcher-loop.service';
import { WatcherMetrics } from './watcher-metrics.service';
import { WatcherStatusService } from './watcher-status.service';

@Controller()
export class WatcherHttpController {
  constructor(
    private readonly chain: WatcherChain,
    private readonly repository: WatcherRepository,
    private readonly loop: WatcherLoop,
    private readonly metrics: WatcherMetrics,
    private readonly statusService: WatcherStatusService,
    private readonly replayer: ClaimReplayer,
  ) {}

  /**
   * ok once a full pass has run; with the cursor, the open disputes, what runs the native ports and
   * what runs each queue's replays (GPU adapter and limits, or why the CPU).
   */
  @Get('health')
  async health() {
    const cursor = await this.repository.cursor(this.chain.deployment.deployBlock);
    return {
      status: this.loop.lastPassAt > 0 ? 'ok' : 'starting',
      challenger: this.chain.clients.account.address,
      nextBlock: cursor.toString(),
      openDisputes: (await this.repository.disputes('open')).length,
      native: nativeStatus(),
      executors: this.replayer.executors(),
    };
  }

  /** What the page at /ui shows: chain lag, batches checked, disputes played, bond budget (docs/watcher.md). */
  @Get('v1/status')
  status() {
    return this.statusService.status();
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metricsText() {
    for (const [queue, d] of Object.entries(this.replayer.executors()))
      this.metrics.executors.update(queue, d);
    return this.metrics.registry.metrics();
  }
}
