import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ddl } from './ddl';

/** The event outbox (SSE stream, webhooks), webhook subscriptions and their deliveries. */
export class EventsWebhooks1763769600005 implements MigrationInterface {
  name = 'EventsWebhooks1763769600005';

  async up(q: QueryRunner): Promise<void> {
    await ddl(
      q,
      `CREATE TABLE "events" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "type" varchar(32) NOT NULL,
      "claimId" varchar(66) NOT NULL,
      "operator" varchar(42) NOT NULL,
      "modelId" varchar(66) NOT NULL,
      "status" varchar(16) NOT NULL,
      "batchId" integer,
      "reason" text,
      "data" text,
      "at" integer NOT NULL)`,
    );
    await ddl(q, `CREATE INDEX "idx_events_operator" ON "events" ("operator", "id")`);
    await ddl(q, `CREATE INDEX "idx_events_model" ON "events" ("modelId", "id")`);
    await ddl(
      q,
      `CREATE TABLE "webhook_subscriptions" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "url" text NOT NULL,
      "secret" varchar(64) NOT NULL,
      "types" text,
      "operator" varchar(42),
      "modelId" varchar(66),
      "cursor" integer NOT NULL,
      "active" boolean NOT NULL,
      "createdAt" integer NOT NULL)`,
    );
    await ddl(
      q,
      `CREATE TABLE "webhook_deliveries" (
      "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      "subscriptionId" integer NOT NULL REFERENCES "webhook_subscriptions" ("id"),
      "eventId" integer NOT NULL REFERENCES "events" ("id"),
      "status" varchar(16) NOT NULL,
      "attempts" integer NOT NULL,
      "nextAttemptAt" integer NOT NULL,
      "lastAttemptAt" integer,
      "lastStatusCode" integer,
      "lastError" text,
      "deliveredAt" integer,
      "createdAt" integer NOT NULL)`,
    );
    await ddl(q, `CREATE INDEX "idx_deliveries_due" ON "webhook_deliveries" ("status", "nextAttemptAt")`);
    await ddl(
      q,
      `CREATE INDEX "idx_deliveries_subscription" ON "webhook_deliveries" ("subscriptionId", "id")`,
    );
    await ddl(
      q,
      `CREATE UNIQUE INDEX "uq_deliveries_event" ON "webhook_deliveries" ("subscriptionId", "eventId")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await ddl(q, `DROP TABLE "webhook_deliveries"`);
    await ddl(q, `DROP TABLE "webhook_subscriptions"`);
    await ddl(q, `DROP TABLE "events"`);
  }
}
