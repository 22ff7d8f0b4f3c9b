import { Injectable } from '@nestjs/common';
import { BaseError } from '@verilay/errors';
import {
  WebhookRepository,
  type DeliveryCounts,
  type WebhookDeliveryEntity,
  type WebhookSubscriptionEntity,
} from '@verilay/storage';
import { Clock } from '../clock';
import { VerifierConfig } from '../config/verifier.config';
import { NotFoundError } from '../http/not-found.error';
import type { CreateWebhookDto, DeliveriesQueryDto } from './webhook.dto';
import { newWebhookSecret } from './webhook-signature';
import { checkWebhookUrl } from './webhook-target';

/** Active subscriptions one verifier keeps at most (each costs a fan-out scan per pass). */
export const MAX_ACTIVE_WEBHOOKS = 100;

export class TooManyWebhooksError extends BaseError {
  readonly code = 'TOO_MANY_WEBHOOKS';
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function subscriptionView(sub: WebhookSubscriptionEntity, deliveries?: DeliveryCounts) {
  return {
    id: sub.id,
    url: sub.url,
    types: sub.types ? (JSON.parse(sub.types) as string[]) : null,
    operator: sub.operator,
    modelId: sub.modelId,
    active: sub.active,
    createdAt: iso(sub.createdAt),
    ...(deliveries ? { deliveries } : {}),
  };
}

export function deliveryView(d: WebhookDeliveryEntity) {
  return {
    id: d.id,
    eventId: String(d.eventId),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastAttemptAt: iso(d.lastAttemptAt),
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: iso(d.deliveredAt),
  };
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly clock: Clock,
    private readonly config: VerifierConfig,
  ) {}

  /** A new subscription and its secret (shown this once: the verifier never shows it again). */
  async create(body: CreateWebhookDto) {
    const url = await checkWebhookUrl(body.url, this.config.webhooks.allowPrivate);
    const secret = newWebhookSecret();
    const sub = await this.webhooks.createIfRoom(
      {
        url: url.href,
        secret,
        types: body.types ?? null,
        operator: body.operator?.toLowerCase() ?? null,
        modelId: body.modelId?.toLowerCase() ?? null,
      },
      this.clock.now(),
      MAX_ACTIVE_WEBHOOKS,
    );
    if (!sub)
      throw new TooManyWebhooksError(
        `${MAX_ACTIVE_WEBHOOKS} webhooks are active, the most one verifier keeps; delete one first`,
      );
    return { ...subscriptionView(sub), secret };
  }

  async list() {
    const subs = await this.webhooks.list();
    return Promise.all(subs.map(async (s) => subscriptionView(s, await this.webhooks.counts(s.id))));
  }

  async get(id: number) {
    const sub = await this.found(id);
    return subscriptionView(sub, await this.webhooks.counts(id));
  }

  async remove(id: number): Promise<void> {
    await this.found(id);
    await this.webhooks.deactivate(id, this.clock.now());
  }

  async deliveries(id: number, query: DeliveriesQueryDto) {
    await this.found(id);
    const limit = query.limit ?? 100;
    const rows = await this.webhooks.deliveries(id, { status: query.status, before: query.before, limit });
    return {
      deliveries: rows.map(deliveryView),
      next: rows.length === limit ? rows[rows.length - 1].id : null,
    };
  }

  private async found(id: number): Promise<WebhookSubscriptionEntity> {
    const sub = await this.webhooks.find(id);
    if (!sub) throw new NotFoundError('WEBHOOK_NOT_FOUND', `No webhook ${id}`);
    return sub;
  }
}
