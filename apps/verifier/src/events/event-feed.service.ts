import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EventRepository, type EventEntity } from '@verilay/storage';
import { VerifierConfig } from '../config/verifier.config';

export type EventListener = (events: readonly EventEntity[]) => void;

/**
 * One reader of the outbox for the whole process: every `pollMs` it reads the events written
 * since its last read and hands them, in id order, to every open stream (the webhook dispatcher
 * reads the outbox on its own clock, from its subscriptions' cursors). Reading the table rather than hooking the writers keeps it right with several
 * writers (the batcher, intake, the chain sequencer, proofs) and after a restart.
 */
@Injectable()
export class EventFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventFeed.name);
  private readonly listeners = new Set<EventListener>();
  private last = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly events: EventRepository,
    private readonly config: VerifierConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.last = await this.events.lastId();
    this.timer = setInterval(() => void this.tick(), this.config.webhooks.pollMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Every event with an id ≤ this has been handed to the listeners present at the time. */
  get position(): number {
    return this.last;
  }

  listen(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One read; never overlaps itself. */
  tick(): Promise<void> {
    this.running ??= this.read()
      .catch((e: unknown) => this.logger.error({ msg: 'event feed read failed', error: String(e) }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async read(): Promise<void> {
    for (;;) {
      const page = await this.events.after(this.last, 500);
      if (!page.length) return;
      this.last = page[page.length - 1].id;
      for (const listener of this.listeners) {
        try {
          listener(page);
        } catch (e) {
          this.logger.error({ msg: 'event listener failed', error: String(e) });
        }
      }
      if (page.length < 500) return;
    }
  }
}
