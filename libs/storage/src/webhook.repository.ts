import { In, LessThanOrEqual, MoreThan, Not, type DataSource, type FindOptionsWhere } from 'typeorm';
import { EventEntity, type EventType } from './event.entity';
import { eventMatches, lastEventId } from './event.repository';
import { LOCKS, lockUntilCommit } from './dialect';
import { inTransaction, serially } from './serial';
import { WebhookDeliveryEntity, WebhookSubscriptionEntity, type DeliveryStatus } from './webhook.entity';
import { chunks } from './write-submissions';

export interface NewSubscription {
  readonly url: string;
  readonly secret: string;
  readonly types: readonly EventType[] | null;
  readonly operator: string | null;
  readonly modelId: string | null;
}

/** A delivery due now, with what sending it needs. */
export interface DueDelivery {
  readonly delivery: WebhookDeliveryEntity;
  readonly subscription: WebhookSubscriptionEntity;
  readonly event: EventEntity;
}

/** The outcome of one attempt: delivered, or failed with a next attempt time (null: give up). */
export type AttemptOutcome =
  | { readonly delivered: true; readonly statusCode: number }
  | {
      readonly delivered: false;
      readonly statusCode: number | null;
      readonly error: string;
      readonly retryAt: number | null;
    };

export type DeliveryCounts = Record<DeliveryStatus, number>;

/** Webhook subscriptions and their deliveries; fan-out turns outbox events into deliveries. */
export class WebhookRepository {
  constructor(private readonly db: DataSource) {}

  /** A new active subscription; it receives events from now on (its cursor is the newest event). */
  async create(sub: NewSubscription, now: number): Promise<WebhookSubscriptionEntity> {
    return (await this.createIfRoom(sub, now, Number.POSITIVE_INFINITY))!;
  }

  /**
   * As `create`, unless `maxActive` subscriptions are active already: then null. The count and the
   * insert share one transaction, so concurrent requests cannot all pass the limit.
   */
  createIfRoom(
    sub: NewSubscription,
    now: number,
    maxActive: number,
  ): Promise<WebhookSubscriptionEntity | null> {
    return inTransaction(this.db, async (m) => {
      await lockUntilCommit(m, LOCKS.subscriptions);
      if ((await m.countBy(WebhookSubscriptionEntity, { active: true })) >= maxActive) return null;
      return m.save(WebhookSubscriptionEntity, {
        url: sub.url,
        secret: sub.secret,
        types: sub.types ? JSON.stringify(sub.types) : null,
        operator: sub.operator,
        modelId: sub.modelId,
        cursor: await lastEventId(m),
        active: true,
        createdAt: now,
      });
    });
  }

  list(): Promise<WebhookSubscriptionEntity[]> {
    return serially(this.db, () => this.db.manager.find(WebhookSubscriptionEntity, { order: { id: 'ASC' } }));
  }

  find(id: number): Promise<WebhookSubscriptionEntity | null> {
    return serially(this.db, () => this.db.manager.findOneBy(WebhookSubscriptionEntity, { id }));
  }

  /** Stops a subscription: no new deliveries; pending ones are failed. False if it was not active. */
  deactivate(id: number, now: number): Promise<boolean> {
    return inTransaction(this.db, async (m) => {
      const done = await m.update(WebhookSubscriptionEntity, { id, active: true }, { active: false });
      if (!done.affected) return false;
      await m.update(
        WebhookDeliveryEntity,
        { subscriptionId: id, status: 'pending' },
        { status: 'failed', lastError: 'subscription deleted', lastAttemptAt: now },
      );
      return true;
    });
  }

  /**
   * Turns up to `scan` new outbox events per active subscription into pending deliveries and
   * moves its cursor past them, in one transaction (a crash repeats none and skips none; the
   * unique (subscription, event) index makes a repeat impossible anyway). Returns the count made.
   */
  fanOut(now: number, scan = 500): Promise<number> {
    return inTransaction(this.db, async (m) => {
      // Postgres: one fan-out at a time (two would owe the same deliveries, and one would fail).
      await lockUntilCommit(m, LOCKS.fanOut);
      const subs = await m.find(WebhookSubscriptionEntity, { where: { active: true } });
      let made = 0;
      for (const sub of subs) {
        const events = await m.find(EventEntity, {
          where: { id: MoreThan(sub.cursor) },
          order: { id: 'ASC' },
          take: scan,
        });
        if (!events.length) continue;
        const filter = {
          types: sub.types ? (JSON.parse(sub.types) as EventType[]) : undefined,
          operator: sub.operator ?? undefined,
          modelId: sub.modelId ?? undefined,
        };
        const owed = events.filter((e) => eventMatches(e, filter));
        for (const part of chunks(owed, 50))
          await m.insert(
            WebhookDeliveryEntity,
            part.map((e) => ({
              subscriptionId: sub.id,
              eventId: e.id,
              status: 'pending' as const,
              attempts: 0,
              nextAttemptAt: now,
              lastAttemptAt: null,
              lastStatusCode: null,
              lastError: null,
              deliveredAt: null,
              createdAt: now,
            })),
          );
        await m.update(WebhookSubscriptionEntity, { id: sub.id }, { cursor: events[events.length - 1].id });
        made += owed.length;
      }
      return made;
    });
  }

  /**
   * Pending deliveries of active subscriptions due at `now`, oldest due first, skipping the
   * deliveries `busy` and the subscriptions `full` (those with all their slots in flight).
   */
  due(
    now: number,
    limit: number,
    busy: readonly number[] = [],
    full: readonly number[] = [],
  ): Promise<DueDelivery[]> {
    return serially(this.db, async () => {
      const where: FindOptionsWhere<WebhookDeliveryEntity> = {
        status: 'pending',
        nextAttemptAt: LessThanOrEqual(now),
      };
      if (busy.length) where.id = Not(In([...busy]));
      if (full.length) where.subscriptionId = Not(In([...full]));
      const deliveries = await this.db.manager.find(WebhookDeliveryEntity, {
        where,
        order: { nextAttemptAt: 'ASC', id: 'ASC' },
        take: limit,
      });
      if (!deliveries.length) return [];
      const subs = await this.db.manager.findBy(WebhookSubscriptionEntity, {
        id: In([...new Set(deliveries.map((d) => d.subscriptionId))]),
        active: true,
      });
      const events = await this.db.manager.findBy(EventEntity, { id: In(deliveries.map((d) => d.eventId)) });
      const subOf = new Map(subs.map((s) => [s.id, s]));
      const eventOf = new Map(events.map((e) => [e.id, e]));
      return deliveries
        .filter((d) => subOf.has(d.subscriptionId))
        .map((d) => ({
          delivery: d,
          subscription: subOf.get(d.subscriptionId)!,
          event: eventOf.get(d.eventId)!,
        }));
    });
  }

  /** Records one attempt (only on a delivery still pending: a late answer never undoes a delete). */
  recordAttempt(id: number, outcome: AttemptOutcome, now: number): Promise<void> {
    return inTransaction(this.db, async (m) => {
      const current = await m.findOneBy(WebhookDeliveryEntity, { id, status: 'pending' });
      if (!current) return;
      await m.update(
        WebhookDeliveryEntity,
        { id, status: 'pending' },
        outcome.delivered
          ? {
              status: 'delivered',
              attempts: current.attempts + 1,
              lastAttemptAt: now,
              lastStatusCode: outcome.statusCode,
              lastError: null,
              deliveredAt: now,
            }
          : {
              status: outcome.retryAt === null ? 'failed' : 'pending',
              attempts: current.attempts + 1,
              lastAttemptAt: now,
              lastStatusCode: outcome.statusCode,
              lastError: outcome.error.slice(0, 500),
              nextAttemptAt: outcome.retryAt ?? current.nextAttemptAt,
            },
      );
    });
  }

  /** A subscription's deliveries, newest first, optionally of one status, before id `before`. */
  deliveries(
    subscriptionId: number,
    options: { status?: DeliveryStatus; before?: number; limit: number },
  ): Promise<WebhookDeliveryEntity[]> {
    const where: FindOptionsWhere<WebhookDeliveryEntity> = { subscriptionId };
    if (options.status) where.status = options.status;
    if (options.before) where.id = LessThanOrEqual(options.before - 1);
    return serially(this.db, () =>
      this.db.manager.find(WebhookDeliveryEntity, { where, order: { id: 'DESC' }, take: options.limit }),
    );
  }

  counts(subscriptionId: number): Promise<DeliveryCounts> {
    return serially(this.db, async () => {
      const rows: { status: DeliveryStatus; n: number }[] = await this.db.manager
        .createQueryBuilder(WebhookDeliveryEntity, 'd')
        .select('d.status', 'status')
        .addSelect('COUNT(*)', 'n')
        .where('d.subscriptionId = :subscriptionId', { subscriptionId })
        .groupBy('d.status')
        .getRawMany();
      const counts: DeliveryCounts = { pending: 0, delivered: 0, failed: 0 };
      for (const r of rows) counts[r.status] = Number(r.n);
      return counts;
    });
  }
}
