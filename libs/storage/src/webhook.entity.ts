import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An integrator's subscription: events matching its filter are delivered to `url`, signed with
 * `secret`. `cursor` is the last event id already turned into deliveries (fan-out resumes there).
 */
@Entity('webhook_subscriptions')
export class WebhookSubscriptionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'text' })
  url!: string;

  /** `whsec_` + base64 of 32 random bytes (the Standard Webhooks form); shown once, at creation. */
  @Column({ type: 'varchar', length: 64 })
  secret!: string;

  /** JSON array of event types; null: every type. */
  @Column({ type: 'text', nullable: true })
  types!: string | null;

  @Column({ type: 'varchar', length: 42, nullable: true })
  operator!: string | null;

  @Column({ type: 'varchar', length: 66, nullable: true })
  modelId!: string | null;

  @Column({ type: 'integer' })
  cursor!: number;

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'integer' })
  createdAt!: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event owed to one subscription; `pending` until a 2xx answer or the last attempt. */
@Entity('webhook_deliveries')
@Index('idx_deliveries_due', ['status', 'nextAttemptAt'])
@Index('idx_deliveries_subscription', ['subscriptionId', 'id'])
@Index('uq_deliveries_event', ['subscriptionId', 'eventId'], { unique: true })
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  subscriptionId!: number;

  @Column({ type: 'integer' })
  eventId!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ type: 'integer' })
  nextAttemptAt!: number;

  @Column({ type: 'integer', nullable: true })
  lastAttemptAt!: number | null;

  /** HTTP status of the last answer; null when none came (refused, timed out, unreachable). */
  @Column({ type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'integer', nullable: true })
  deliveredAt!: number | null;

  @Column({ type: 'integer' })
  createdAt!: number;
}
