import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';

export type Role = 'leader' | 'follower';

/**
 * Who may sequence: the port the verifier's single-writer work asks before each pass (batching,
 * the chain sequencer and its dispute defender, step registration, proofs, webhook fan-out).
 * Every replica takes claims and serves reads; exactly one at a time is the leader.
 */
export abstract class Leadership implements OnApplicationShutdown {
  private readonly listeners = new Set<(role: Role) => void>();

  /** This replica's name in logs, /health and metrics. */
  abstract readonly replicaId: string;
  abstract get role(): Role;
  /** How leadership is decided, for /health. */
  abstract readonly mechanism: string;
  /** Whether other replicas may take work (claims, proof requests) this one must act on. */
  abstract readonly replicated: boolean;
  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Called on every change of role (after it took effect). */
  onChange(listener: (role: Role) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After every service's beforeApplicationShutdown: no pass runs when the lock is handed on. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  protected changed(role: Role): void {
    for (const listener of this.listeners) listener(role);
  }
}

/** The embedded set-up (a sqlite file belongs to one process): always the leader. */
export class SoleLeadership extends Leadership {
  readonly mechanism = 'sole replica';
  readonly replicated = false;
  constructor(readonly replicaId: string) {
    super();
  }
  get role(): Role {
    return 'leader';
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

export interface PostgresLeadershipOptions {
  readonly url: string;
  readonly replicaId: string;
  /** The advisory lock's key: one per cluster (all replicas of one database share it). */
  readonly key: bigint;
  /** How often a follower tries the lock and the leader checks its session. */
  readonly pollMs: number;
}

/**
 * Leadership held as a Postgres session-level advisory lock on a connection of its own.
 *
 * INVARIANT (no two leaders act at once): the lock is released only when its session ends, and a
 * leader whose session may have ended stops first:
 * - a leader process that dies (even SIGKILL) closes its socket; Postgres ends the session and
 *   frees the lock at once, and a follower takes it at its next poll;
 * - a leader cut off from Postgres fails its next check (within `pollMs`, each query limited to
 *   `pollMs`) and steps down; Postgres ends that session only after its TCP keepalives fail (set
 *   on the session to 2·pollMs idle + 3 probes a pollMs apart), later than the step-down;
 * - a session ended by Postgres (a restart, pg_terminate_backend) fails the next check likewise.
 * A pass already running when its replica steps down finishes; the chain sequencer asks again
 * right before each transaction (docs/scale-out.md).
 */
export class PostgresLeadership extends Leadership {
  readonly mechanism = 'postgres advisory lock';
  readonly replicated = true;
  readonly replicaId: string;
  private readonly logger = new Logger('Leadership');
  private client?: Client;
  private leader = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** When the last check that Postgres answered was sent (the session held the lock after it). */
  private confirmedAt = 0;

  constructor(private readonly options: PostgresLeadershipOptions) {
    super();
    this.replicaId = options.replicaId;
  }

  get role(): Role {
    // INVARIANT: leadership is a lease from the last check Postgres answered (sent at
    // `confirmedAt`): a process that was paused (a long GC pause, SIGSTOP) may have had its session
    // ended meanwhile and the lock taken, and on resuming it runs its due timers (a batch
    // transaction) before the socket's error is read. It leads again once a check answers.
    return this.leader && Date.now() - this.confirmedAt < 2 * this.options.pollMs ? 'leader' : 'follower';
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    // Ending the session frees the lock for the next replica now, not after a timeout.
    this.drop('shutting down');
  }

  /** One attempt or check; never overlaps itself. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = this.client ?? (await this.connect());
      const sentAt = Date.now();
      if (this.leader) {
        // A session-level lock lives as long as its session: the same session answering holds it.
        await client.query('SELECT 1');
        if (this.client === client) this.confirmedAt = sentAt;
        return;
      }
      const { rows } = await client.query<{ got: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS got',
        [this.options.key.toString()],
      );
      if (rows[0]?.got && !this.stopped) {
        this.confirmedAt = sentAt;
        this.leader = true;
        this.logger.log({ msg: 'became the leader', replica: this.replicaId });
        this.changed('leader');
      }
    } catch (e) {
      this.drop(`postgres: ${(e as Error).message}`);
    }
  }

  private async connect(): Promise<Client> {
    const { pollMs } = this.options;
    const client = new Client({
      connectionString: this.options.url,
      query_timeout: pollMs,
      connectionTimeoutMillis: Math.max(pollMs, 1000),
      keepAlive: true,
      application_name: `verilay-leadership ${this.replicaId}`.slice(0, 63),
    });
    client.on('error', (e) => this.drop(`postgres: ${e.message}`));
    this.client = client;
    await client.connect();
    // Postgres ends a silent session (a leader cut off) after about 2·pollMs + 3 probes.
    const idle = Math.max(1, Math.ceil((2 * pollMs) / 1000));
    const interval = Math.max(1, Math.ceil(pollMs / 1000));
    await client.query(
      `SET tcp_keepalives_idle = ${idle}; SET tcp_keepalives_interval = ${interval}; SET tcp_keepalives_count = 3`,
    );
    return client;
  }

  /** Leaves the session (and with it the lock); a leader steps down first. */
  private drop(reason: string): void {
    const client = this.client;
    this.client = undefined;
    if (this.leader) {
      this.leader = false;
      this.logger.warn({ msg: 'stepped down', replica: this.replicaId, reason });
      this.changed('follower');
    }
    if (client) void client.end().catch(() => undefined);
  }
}

/** Any fixed 48-bit number names the lock; replicas of one database share it. */
const SEQUENCER_LOCK_KEY = 0x7665_7269_6c61n; // "verila"

/** Postgres (VERIFIER_DATABASE_URL): an advisory lock among replicas; a sqlite file: the sole replica. */
export async function createLeadership(config: {
  readonly databaseUrl?: string;
  readonly replicaId: string;
  readonly leaderPollMs: number;
}): Promise<Leadership> {
  const leadership = config.databaseUrl
    ? new PostgresLeadership({
        url: config.databaseUrl,
        replicaId: config.replicaId,
        key: SEQUENCER_LOCK_KEY,
        pollMs: config.leaderPollMs,
      })
    : new SoleLeadership(config.replicaId);
  await leadership.start();
  return leadership;
}
