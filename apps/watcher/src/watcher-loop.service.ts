import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CheckerService } from './checker.service';
import { FollowerService } from './follower.service';
import { PlayerService } from './player.service';
import { WatcherConfig } from './watcher.config';

/**
 * The watcher's heartbeat: follow the chain, check new batches, play open disputes, in that
 * order, every WATCHER_POLL_MS. A pass never overlaps the last; a failing step is logged and the
 * next pass retries it (the watcher never dies silently).
 */
@Injectable()
export class WatcherLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WatcherLoop.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  lastPassAt = 0;

  constructor(
    private readonly follower: FollowerService,
    private readonly checker: CheckerService,
    private readonly player: PlayerService,
    private readonly config: WatcherConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.pollMs);
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const [name, step] of [
      ['follow', () => this.follower.follow()],
      ['check', () => this.checker.checkAll()],
      ['play', () => this.player.playAll()],
    ] as const) {
      if (this.stopped) return;
      try {
        await step();
      } catch (error) {
        this.logger.error({
          msg: `${name} failed (retried next pass)`,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    this.lastPassAt = Date.now();
  }
}
