import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { WebhookRepository, type DueDelivery } from '@verilay/storage';
import { Clock } from '../clock';
import { Leadership } from '../cluster/leadership';
import { VerifierConfig } from '../config/verifier.config';
import { eventView } from '../events/event-view';
import { webhookHeaders } from './webhook-signature';
import { sendWebhook, type SendResult } from './webhook-sender';

/** The wait before retry n (1-based): base·2^(n-1), capped, with ±20% jitter so retries spread. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Delivers the outbox to subscribers. Each pass turns new events into deliveries (fan-out, one
 * transaction per pass) and starts the due ones, at most `concurrency` at once and
 * `perSubscription` per receiver, so a receiver that hangs holds two slots for `timeoutMs` and
 * nothing else. Sending runs beside the verifier's work, never in a request. A delivery is
 * marked only after its attempt: a crash mid-attempt sends it again (at least once; receivers
 * dedupe by `webhook-id`, the event id).
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly perSubscription = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopping = false;

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly clock: Clock,
    private readonly config: VerifierConfig,
    private readonly leadership: Leadership,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.webhooks.pollMs);
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
    await Promise.all(this.inFlight.values());
  }

  /** One pass (a pass asked for while one runs runs right after it). */
  tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass()
      .catch((e: unknown) => this.logger.error({ msg: 'webhook pass failed', error: String(e) }))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopping) {
          this.again = false;
          void this.tick();
        }
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    // One fan-out and one sender for the cluster: the leader's.
    if (this.stopping || !this.leadership.isLeader) return;
    const { concurrency, perSubscription } = this.config.webhooks;
    await this.webhooks.fanOut(this.clock.now());
    // INVARIANT: a subscription at its limit is left out of the read, so its backlog (a receiver
    // that hangs, with thousands due) can never fill the window and starve the others. A read
    // whose rows were skipped because a subscription filled up during it is made again.
    for (;;) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0) return;
      const full = [...this.perSubscription].filter(([, n]) => n >= perSubscription).map(([id]) => id);
      const due = await this.webhooks.due(this.clock.now(), free * 4, [...this.inFlight.keys()], full);
      let skipped = false;
      for (const item of due) {
        if (this.inFlight.size >= concurrency) return;
        const subId = item.subscription.id;
        if ((this.perSubscription.get(subId) ?? 0) >= perSubscription) {
          skipped = true;
          continue;
        }
        this.perSubscription.set(subId, (this.perSubscription.get(subId) ?? 0) + 1);
        const attempt = this.attempt(item).finally(() => {
          this.inFlight.delete(item.delivery.id);
          this.perSubscription.set(subId, this.perSubscription.get(subId)! - 1);
        });
        this.inFlight.set(item.delivery.id, attempt);
      }
      if (!skipped || this.stopping) return;
    }
  }

  private async attempt({ delivery, subscription, event }: DueDelivery): Promise<void> {
    const settings = this.config.webhooks;
    const body = JSON.stringify(eventView(event));
    const headers = webhookHeaders(
      subscription.secret,
      String(event.id),
      Math.floor(this.clock.now() / 1000),
      body,
    );
    let result: SendResult;
    try {
      result = await sendWebhook(new URL(subscription.url), body, headers, settings);
    } catch (e) {
      result = { statusCode: null, ok: false, error: String(e) };
    }
    const now = this.clock.now();
    const attempts = delivery.attempts + 1;
    try {
      await this.webhooks.recordAttempt(
        delivery.id,
        result.ok
          ? { delivered: true, statusCode: result.statusCode! }
          : {
              delivered: false,
              statusCode: result.statusCode,
              error: result.error ?? 'failed',
              retryAt:
                attempts >= settings.maxAttempts
                  ? null
                  : now + retryDelay(attempts, settings.retryBaseMs, settings.retryMaxMs),
            },
        now,
      );
    } catch (e) {
      this.logger.error({ msg: 'webhook attempt not recorded', delivery: delivery.id, error: String(e) });
      return;
    }
    if (!result.ok)
      this.logger.warn({
        msg:
          attempts >= settings.maxAttempts ? 'webhook delivery failed for good' : 'webhook delivery failed',
        subscription: subscription.id,
        event: event.id,
        attempts,
        error: result.error,
      });
  }
}
