import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { errorMessage } from '@verilay/errors';
import { CheckerService } from './checker.service';
import { FollowerService } from './follower.service';
import { PlayerService } from './player.service';
import { PursuerService } from './pursuer.service';
import { WatcherConfig } from './watcher.config';

/** One loop: its steps in order every WATCHER_POLL_MS; a pass never overlaps the last. */
class Loop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  lastPassAt = 0;

  constructor(
    private readonly steps: readonly (readonly [string, () => Promise<void>])[],
    private readonly logger: Logger,
  ) {}

  start(pollMs: number): void {
    this.timer = setInterval(() => void this.tick(), pollMs);
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const [name, step] of this.steps) {
      if (this.stopped) return;
      try {
        await step();
      } catch (error) {
        this.logger.error({ msg: `${name} failed (retried next pass)`, error: errorMessage(error) });
      }
    }
    this.lastPassAt = Date.now();
  }
}

/**
 * The watcher's heartbeat, as two loops that never wait on each other: one follows the chain,
 * pursues wrong postings (opens disputes) and plays open disputes; the other checks new batches
 * (replays, which may be slow). A flood of slow claims delays verdicts, never a move: a dispute
 * clock cannot run out behind a replay (issue 11, finding 5). A failing step is logged and
 * retried on the next pass (the watcher never dies silently).
 */
@Injectable()
export class WatcherLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WatcherLoop.name);
  private readonly act: Loop;
  private readonly check: Loop;

  constructor(
    follower: FollowerService,
    checker: CheckerService,
    pursuer: PursuerService,
    player: PlayerService,
    private readonly config: WatcherConfig,
  ) {
    this.act = new Loop(
      [
        ['follow', () => follower.follow()],
        ['pursue', () => pursuer.pursueAll()],
        ['play', () => player.playAll()],
      ],
      this.logger,
    );
    this.check = new Loop([['check', () => checker.checkAll()]], this.logger);
  }

  /** When both loops had run at least once: the older of their last passes (0 before). */
  get lastPassAt(): number {
    return Math.min(this.act.lastPassAt, this.check.lastPassAt);
  }

  onApplicationBootstrap(): void {
    this.act.start(this.config.pollMs);
    this.check.start(this.config.pollMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.act.stop(), this.check.stop()]);
  }
}
