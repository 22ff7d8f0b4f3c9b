import { In, type EntityManager } from 'typeorm';
import { ClaimTransitionEntity } from './claim-transition.entity';
import { ClaimEntity } from './claim.entity';
import { dialectOf, isUniqueViolation } from './dialect';
import { DuplicateClaimError } from './errors';
import { GroupItemError } from './group-commit';
import { TaskInputEntity } from './task-input.entity';

export interface NewClaim {
  readonly claim: Omit<
    ClaimEntity,
    'status' | 'reason' | 'batchId' | 'submittedAt' | 'updatedAt' | 'generation'
  > & {
    readonly generation?: string | null;
  };
  readonly taskInput: Omit<TaskInputEntity, 'claimId'> | null;
}

/** One call of insertSubmissions: its claims (no id repeated) and its time. */
export interface Submission {
  readonly claims: readonly NewClaim[];
  readonly now: number;
}

/**
 * Writes a group of submissions inside the group's transaction. Each submission is stored whole or
 * not at all, and one that fails is its own error: a claim id already stored, or stored by an
 * earlier submission of the same group, is its DuplicateClaimError. The fast path inserts every
 * good submission at once and throws if that fails (a constraint the checks did not foresee:
 * GroupCommit then rolls back and calls again, `careful`); the careful path writes each submission
 * under its own savepoint, so only the failing one is refused.
 */
export async function writeSubmissions(
  m: EntityManager,
  submissions: readonly Submission[],
  careful: boolean,
): Promise<(void | GroupItemError)[]> {
  const ids = submissions.flatMap((s) => s.claims.map((c) => c.claim.claimId));
  const taken = new Set<string>();
  for (const part of chunks(ids, 500))
    for (const row of await m.find(ClaimEntity, { select: { claimId: true }, where: { claimId: In(part) } }))
      taken.add(row.claimId);
  const results: (void | GroupItemError)[] = submissions.map((s) => {
    const duplicates = s.claims.map((c) => c.claim.claimId).filter((id) => taken.has(id));
    if (duplicates.length) return new GroupItemError(new DuplicateClaimError(duplicates));
    for (const c of s.claims) taken.add(c.claim.claimId);
  });
  const good = submissions.filter((_, i) => !(results[i] instanceof GroupItemError));
  if (!good.length) return results;
  if (!careful) {
    await insertRows(m, good);
    return results;
  }
  // In claim-id order, as insertRows writes rows: replicas writing the same claims at once take
  // their locks in one order, so they do not deadlock.
  const first = submissions.map(firstId);
  const order = [...submissions.keys()].sort((a, b) => compare(first[a], first[b]));
  for (const i of order) {
    const s = submissions[i];
    if (results[i] instanceof GroupItemError) continue;
    try {
      await underSavepoint(m, 'one', () => insertRows(m, [s]));
    } catch (e) {
      const ids = s.claims.map((c) => c.claim.claimId);
      results[i] = new GroupItemError(isUniqueViolation(e) ? new DuplicateClaimError(ids, e) : e);
    }
  }
  return results;
}

/** Runs `work` under a savepoint: kept on success, rolled back (and the error rethrown) on failure. */
async function underSavepoint(m: EntityManager, name: string, work: () => Promise<void>): Promise<void> {
  await m.query(`SAVEPOINT ${name}`);
  try {
    await work();
  } catch (error) {
    await m.query(`ROLLBACK TO SAVEPOINT ${name}`);
    await m.query(`RELEASE SAVEPOINT ${name}`);
    throw error;
  }
  await m.query(`RELEASE SAVEPOINT ${name}`);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** A submission's smallest claim id. */
const firstId = (s: Submission) =>
  s.claims.reduce((min, c) => (c.claim.claimId < min ? c.claim.claimId : min), s.claims[0].claim.claimId);

async function insertRows(m: EntityManager, submissions: readonly Submission[]): Promise<void> {
  // SAFETY: in claim-id order. Two replicas inserting the same claims in other orders would each
  // hold a row the other waits for (a unique-index wait): Postgres aborts one as a deadlock.
  const rows = submissions
    .flatMap((s) => s.claims.map((c) => ({ ...c, now: s.now })))
    .sort((a, b) => compare(a.claim.claimId, b.claim.claimId));
  // Chunked: sqlite limits the number of bound variables per statement; Postgres takes 65535, and
  // each statement there is a round trip to the server.
  const size = dialectOf(m) === 'postgres' ? 500 : 50;
  // No RETURNING of generated columns: nothing reads them back.
  const insert = (
    entity: typeof ClaimEntity | typeof TaskInputEntity | typeof ClaimTransitionEntity,
    values: object[],
  ) => m.createQueryBuilder().insert().into(entity).values(values).updateEntity(false).execute();
  for (const part of chunks(rows, size)) {
    await insert(
      ClaimEntity,
      part.map((c) => ({
        ...c.claim,
        generation: c.claim.generation ?? null,
        status: 'submitted' as const,
        reason: null,
        batchId: null,
        submittedAt: c.now,
        updatedAt: c.now,
      })),
    );
    const inputs = part
      .filter((c) => c.taskInput)
      .map((c) => ({ claimId: c.claim.claimId, ...c.taskInput! }));
    if (inputs.length) await insert(TaskInputEntity, inputs);
    await insert(
      ClaimTransitionEntity,
      part.map((c) => ({
        claimId: c.claim.claimId,
        fromStatus: null,
        toStatus: 'submitted' as const,
        reason: null,
        at: c.now,
      })),
    );
  }
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
