import { In, MoreThan, type DataSource, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { EventEntity, type EventType, type NewEvent } from './event.entity';
import { LOCKS, lockUntilCommit } from './dialect';
import { serially } from './serial';
import { chunks } from './write-submissions';

/** Which events a reader wants; an absent field matches everything. */
export interface EventFilter {
  readonly types?: readonly EventType[];
  readonly operator?: string;
  readonly modelId?: string;
}

/** Reads the event outbox, oldest first. */
export class EventRepository {
  constructor(private readonly db: DataSource) {}

  /** Up to `limit` events with id > `cursor` that match `filter`. */
  after(cursor: number, limit: number, filter: EventFilter = {}): Promise<EventEntity[]> {
    const page = (types: readonly EventType[] | undefined) => {
      const where: FindOptionsWhere<EventEntity> = { id: MoreThan(cursor) };
      if (types?.length) where.type = types.length === 1 ? types[0] : In([...types]);
      if (filter.operator) where.operator = filter.operator;
      if (filter.modelId) where.modelId = filter.modelId;
      return this.db.manager.find(EventEntity, { where, order: { id: 'ASC' }, take: limit });
    };
    return serially(this.db, async () => {
      // By operator or model, their own index leads. By types alone: one ordered read per type
      // through idx_events_type, merged, so a rare type never reads the whole outbox (`type IN
      // (...)` in id order was a scan of every event after the cursor).
      if (!filter.types?.length || filter.operator || filter.modelId) return page(filter.types);
      // Ids first (the index covers them), rows only for the page kept.
      const idsByType = await Promise.all(
        [...new Set(filter.types)].map((type) =>
          this.db.manager
            .createQueryBuilder(EventEntity, 'e')
            .select('e.id', 'id')
            .where('e.type = :type AND e.id > :cursor', { type, cursor })
            .orderBy('e.id', 'ASC')
            .limit(limit)
            .getRawMany<{ id: number }>(),
        ),
      );
      const ids = idsByType
        .flat()
        .map((r) => Number(r.id))
        .sort((a, b) => a - b)
        .slice(0, limit);
      const rows: EventEntity[] = [];
      for (const part of chunks(ids, 500))
        rows.push(...(await this.db.manager.findBy(EventEntity, { id: In(part) })));
      return rows.sort((a, b) => a.id - b.id);
    });
  }

  /** The newest event's id; 0 before the first. */
  lastId(): Promise<number> {
    return serially(this.db, () => lastEventId(this.db.manager));
  }
}

export async function lastEventId(m: EntityManager): Promise<number> {
  const row = await m.createQueryBuilder(EventEntity, 'e').select('MAX(e.id)', 'max').getRawOne();
  return Number(row?.max ?? 0);
}

/** Writes events inside the caller's transaction (the outbox rule: with the change they report). */
export async function recordEvents(m: EntityManager, events: readonly NewEvent[]): Promise<void> {
  if (!events.length) return;
  // Ids in commit order (dialect.ts, LOCKS.outbox). Callers that lock rows before their events take
  // this lock first, at their transaction's start, so two writers never wait on each other.
  await lockUntilCommit(m, LOCKS.outbox);
  // Chunked: sqlite limits the number of bound variables per statement.
  for (const part of chunks(events, 50)) await m.insert(EventEntity, part);
}

/** Whether an event passes a filter (the same rule as `after`, for events already read). */
export function eventMatches(event: EventEntity, filter: EventFilter): boolean {
  return (
    (!filter.types?.length || filter.types.includes(event.type)) &&
    (!filter.operator || filter.operator === event.operator) &&
    (!filter.modelId || filter.modelId === event.modelId)
  );
}
