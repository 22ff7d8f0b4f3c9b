import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';
import { ClaimRepository } from './claim.repository';
import { verifierDataSourceOptions } from './data-source-options';
import { ChallengeWindowClosedError, DuplicateClaimError } from './errors';
import { ModelRepository } from './model.repository';
import { IllegalTransitionError } from '@verilay/protocol';
import { hex, newClaim } from './new-claim.spec-helper';

describeEachDatabase(ClaimRepository.name, (kind) => {
  let database: TestDatabase;
  let db: DataSource;
  let sut: ClaimRepository;

  const open = async () => {
    db = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
    sut = new ClaimRepository(db);
  };

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    await open();
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(1), 0);
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  describe('insertSubmissions', () => {
    it('stores claims with their task input and a submitted transition', async () => {
      await sut.insertSubmissions([newClaim(10), newClaim(11)], 1000);
      const record = await sut.find(hex(10));
      expect(record?.claim.status).toBe('submitted');
      expect(record?.history.map((h) => [h.fromStatus, h.toStatus, h.at])).toEqual([
        [null, 'submitted', 1000],
      ]);
      expect((await sut.findTaskInput(hex(11)))?.data).toBe('[1,2]');
    });

    it('stores nothing when one claim of the batch is already stored', async () => {
      await sut.insertSubmissions([newClaim(10)], 1000);
      await expect(sut.insertSubmissions([newClaim(12), newClaim(10)], 2000)).rejects.toThrow(
        DuplicateClaimError,
      );
      expect(await sut.find(hex(12))).toBeNull();
    });

    it('stores nothing when a claim repeats within the request', async () => {
      await expect(sut.insertSubmissions([newClaim(13), newClaim(13)], 1000)).rejects.toThrow(
        DuplicateClaimError,
      );
      expect(await sut.find(hex(13))).toBeNull();
    });

    it('rolls back every chunk when a later chunk fails, and does not call it a duplicate', async () => {
      // Inserts go in chunks of 50 statements: the failing claim sits in the second chunk, so only
      // the transaction (not one atomic INSERT) can undo the first.
      const claims = Array.from({ length: 60 }, (_, i) => newClaim(100 + i));
      (claims[55].claim as { modelId: string }).modelId = hex(999); // no such model: foreign key violation
      const error = await sut.insertSubmissions(claims, 1000).catch((e: unknown) => e);
      expect(String(error)).toMatch(/FOREIGN KEY constraint failed|violates foreign key constraint/);
      expect(error).not.toBeInstanceOf(DuplicateClaimError);
      expect(await sut.find(hex(100))).toBeNull();
      expect(await sut.find(hex(149))).toBeNull();
    });
  });

  describe('postBatch', () => {
    // A root that shows the leaf order and fits the column (Postgres enforces varchar(66)).
    const rootOf = (ids: string[]) => ids.map((id) => id.slice(-4)).join(',');
    it('batches the oldest submitted claims up to the limit, with a root', async () => {
      await sut.insertSubmissions([newClaim(1), newClaim(2)], 1000);
      await sut.insertSubmissions([newClaim(3)], 2000);
      const batch = await sut.postBatch(2, 9000, 3000, rootOf);
      expect(batch).toMatchObject({
        count: 2,
        root: rootOf([hex(1), hex(2)]),
        windowEndsAt: 9000,
        status: 'open',
      });
      expect((await sut.find(hex(1)))?.claim).toMatchObject({ status: 'posted', batchId: batch!.id });
      expect((await sut.find(hex(3)))?.claim.status).toBe('submitted');
      expect(await sut.postBatch(10, 9000, 3000, () => 'r')).toMatchObject({ count: 1 });
      expect(await sut.postBatch(10, 9000, 3000, () => 'r')).toBeNull();
    });

    it('batches only the eligible claims when given, oldest first', async () => {
      await sut.insertSubmissions([newClaim(1), newClaim(2)], 1000);
      await sut.insertSubmissions([newClaim(3)], 2000);
      expect(await sut.postBatch(10, 9000, 3000, () => 'r', [])).toBeNull();
      const batch = await sut.postBatch(10, 9000, 3000, rootOf, [hex(3), hex(1)]);
      expect(batch).toMatchObject({ count: 2, root: rootOf([hex(1), hex(3)]) });
      expect((await sut.find(hex(2)))?.claim.status).toBe('submitted');
    });
  });

  describe('posting policy queries', () => {
    const other = '0x' + 'cd'.repeat(20);

    it('lists submitted claims with whether their task input is stored, and holds some with a reason', async () => {
      await sut.insertSubmissions(
        [
          newClaim(1),
          { ...newClaim(2), taskInput: null },
          { ...newClaim(3), claim: { ...newClaim(3).claim, operator: other } },
        ],
        1000,
      );
      await sut.postBatch(10, 9000, 1500, () => 'r', [hex(3)]);
      expect(await sut.pendingClaims()).toEqual([
        { claimId: hex(1), operator: '0x' + 'ab'.repeat(20), modelId: hex(1), hasInput: true, reason: null },
        { claimId: hex(2), operator: '0x' + 'ab'.repeat(20), modelId: hex(1), hasInput: false, reason: null },
      ]);
      await sut.hold([hex(2), hex(3)], 'held: no task input', 2000);
      expect((await sut.find(hex(2)))?.claim).toMatchObject({
        status: 'submitted',
        reason: 'held: no task input',
      });
      // A posted claim is not held, and holding records no transition.
      expect((await sut.find(hex(3)))?.claim.reason).toBeNull();
      expect((await sut.find(hex(2)))?.history).toHaveLength(1);
    });

    it('counts claims per operator by status', async () => {
      await sut.insertSubmissions([newClaim(1), newClaim(2), newClaim(3)], 1000);
      await sut.postBatch(10, 9000, 1500, () => 'r', [hex(1), hex(2)]);
      await sut.applyEvent(hex(2), 'challenged', null, 2000);
      const disputable = await sut.countByOperator(['0x' + 'ab'.repeat(20), other], ['posted', 'challenged']);
      expect(Object.fromEntries(disputable)).toEqual({ ['0x' + 'ab'.repeat(20)]: 2, [other]: 0 });
      const inFlight = await sut.countByOperator(
        ['0x' + 'ab'.repeat(20)],
        ['submitted', 'posted', 'challenged'],
      );
      expect(inFlight.get('0x' + 'ab'.repeat(20))).toBe(3);
    });
  });

  describe('finalizeDueBatches', () => {
    it('finalizes posted claims once their window ended, and only once', async () => {
      await sut.insertSubmissions([newClaim(1), newClaim(2)], 1000);
      const batch = await sut.postBatch(10, 5000, 1000, () => 'r');
      await sut.applyEvent(hex(2), 'challenged', 'dispute opened', 2000);
      expect(await sut.finalizeDueBatches(4999)).toEqual([]);
      expect(await sut.finalizeDueBatches(5000)).toEqual([{ batchId: batch!.id, claimIds: [hex(1)] }]);
      expect(await sut.finalizeDueBatches(6000)).toEqual([]);
      const one = await sut.find(hex(1));
      expect(one?.claim.status).toBe('final');
      expect(one?.history.map((h) => h.toStatus)).toEqual(['submitted', 'posted', 'final']);
      expect((await sut.find(hex(2)))?.claim).toMatchObject({
        status: 'challenged',
        reason: 'dispute opened',
      });
    });

    it('survives a restart: deadlines are read back from the file', async () => {
      await sut.insertSubmissions([newClaim(1)], 1000);
      await sut.postBatch(10, 5000, 1000, () => 'r');
      await db.destroy();
      await open();
      expect(await sut.finalizeDueBatches(5000)).toHaveLength(1);
      expect((await sut.find(hex(1)))?.claim.status).toBe('final');
    });
  });

  describe('applyEvent', () => {
    it('refuses a challenge that arrives after the window', async () => {
      await sut.insertSubmissions([newClaim(1)], 1000);
      await sut.postBatch(10, 5000, 1000, () => 'r');
      await expect(sut.applyEvent(hex(1), 'challenged', null, 5000)).rejects.toThrow(
        ChallengeWindowClosedError,
      );
      expect((await sut.find(hex(1)))?.claim.status).toBe('posted');
    });

    it('makes a claim upheld after its window closed final, not stuck in posted', async () => {
      await sut.insertSubmissions([newClaim(1)], 1000);
      await sut.postBatch(10, 5000, 1000, () => 'r');
      await sut.applyEvent(hex(1), 'challenged', 'dispute', 2000);
      await sut.finalizeDueBatches(6000); // the batch closes while the dispute is open
      expect(await sut.applyEvent(hex(1), 'upheld', 'dispute failed', 7000)).toBe('final');
      expect((await sut.find(hex(1)))?.history.map((h) => h.toStatus)).toEqual([
        'submitted',
        'posted',
        'challenged',
        'posted',
        'final',
      ]);
    });

    it('returns an upheld claim to posted while its window is still open', async () => {
      await sut.insertSubmissions([newClaim(1)], 1000);
      await sut.postBatch(10, 5000, 1000, () => 'r');
      await sut.applyEvent(hex(1), 'challenged', null, 2000);
      expect(await sut.applyEvent(hex(1), 'upheld', null, 3000)).toBe('posted');
      expect(await sut.finalizeDueBatches(5000)).toEqual([{ batchId: 1, claimIds: [hex(1)] }]);
    });

    it('rejects an illegal transition and changes nothing', async () => {
      await sut.insertSubmissions([newClaim(1)], 1000);
      await expect(sut.applyEvent(hex(1), 'fraudProven', null, 2000)).rejects.toThrow(IllegalTransitionError);
      expect((await sut.find(hex(1)))?.history).toHaveLength(1);
    });
  });
});
