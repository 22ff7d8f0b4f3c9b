import { DataSource } from 'typeorm';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';
import { watcherDataSourceOptions } from './data-source-options';
import { WatcherRepository } from './watcher.repository';

describeEachDatabase(WatcherRepository.name, (kind) => {
  let database: TestDatabase;
  let db: DataSource;
  let sut: WatcherRepository;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    db = await new DataSource(watcherDataSourceOptions(database.location)).initialize();
    sut = new WatcherRepository(db);
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  const batch = (batchIndex: number, blockNumber: number) => ({
    batchIndex,
    root: `0x${batchIndex.toString(16).padStart(64, '0')}`,
    blockNumber,
    windowEnd: 1000,
  });

  it('moves the cursor with the range it stores, and stores a batch once', async () => {
    expect(await sut.cursor(7n)).toBe(7n);
    await sut.commitRange(10n, '0xa', [batch(0, 9), batch(1, 10)], []);
    await sut.commitRange(12n, '0xb', [batch(1, 10)], []);
    expect(await sut.cursor(7n)).toBe(13n);
    expect((await sut.batchesToCheck()).map((b) => b.batchIndex)).toEqual([0, 1]);
    expect(await sut.recentBlocks()).toEqual([
      { number: 12, hash: '0xb' },
      { number: 10, hash: '0xa' },
    ]);
  });

  it('forgets what a reorg removed and rewinds the cursor to read it again', async () => {
    await sut.commitRange(10n, '0xa', [batch(0, 9)], []);
    await sut.commitRange(20n, '0xb', [batch(1, 15)], []);
    await sut.recordVerdict(1, '0x01', 'wrong');
    await sut.recordDispute({ disputeId: 4, claimId: '0x01', batchIndex: 1, blockNumber: 16, openTx: '0xt' });
    await sut.rewind(10);
    expect(await sut.cursor(0n)).toBe(11n);
    expect((await sut.batchesToCheck()).map((b) => b.batchIndex)).toEqual([0]);
    expect(await sut.verdict(1, '0x01')).toBeNull();
    expect(await sut.disputes()).toEqual([]);
    expect(await sut.recentBlocks()).toEqual([{ number: 10, hash: '0xa' }]);
  });

  it('records a dispute outcome from the chain only for an open dispute', async () => {
    await sut.recordDispute({ disputeId: 4, claimId: '0x01', batchIndex: 1, blockNumber: 16, openTx: '0xt' });
    await sut.commitRange(20n, '0xb', [], [{ disputeId: 4, challengerWon: true }]);
    await sut.setDisputeStatus(4, 'withdrawn');
    await sut.commitRange(21n, '0xc', [], [{ disputeId: 4, challengerWon: false }]);
    expect((await sut.disputes()).map((d) => d.status)).toEqual(['withdrawn']);
  });

  it('keeps a wrong posting pending, with its data, until the chain settles it', async () => {
    await sut.recordWrong(1, '0x01', '{"claim":1}');
    await sut.recordWrong(2, '0x01', '{"claim":2}');
    await sut.recordVerdict(3, '0x02', 'correct');
    expect((await sut.pendingWrong()).map((p) => [p.batchIndex, p.posting])).toEqual([
      [1, '{"claim":1}'],
      [2, '{"claim":2}'],
    ]);
    await sut.setOutcome(1, '0x01', 'slashed');
    expect((await sut.pendingWrong()).map((p) => p.batchIndex)).toEqual([2]);
    expect(await sut.verdict(1, '0x01')).toBe('wrong');
    expect(await sut.wrongPosting('0x01')).toMatch(/"claim":/);
    expect(await sut.wrongPosting('0x02')).toBeNull();
  });

  it('counts batches, verdicts and disputes, and lists the newest batches with their verdicts', async () => {
    await sut.commitRange(10n, '0xa', [batch(0, 9), batch(1, 10), batch(2, 10)], []);
    await sut.recordVerdict(1, '0x01', 'correct');
    await sut.recordVerdict(1, '0x02', 'correct');
    await sut.recordWrong(1, '0x03', '{}');
    await sut.recordVerdict(2, '0x04', 'skipped');
    await sut.setBatchStatus(1, 'checked');
    await sut.setBatchStatus(0, 'unavailable', 'no data');
    await sut.recordDispute({ disputeId: 4, claimId: '0x03', batchIndex: 1, blockNumber: 11, openTx: '0xt' });
    await sut.recordDispute({ disputeId: 5, claimId: '0x05', batchIndex: 2, blockNumber: 12, openTx: '0xu' });
    await sut.setDisputeStatus(4, 'withdrawn', 'won');
    expect(await sut.counts()).toEqual({
      batches: { pending: 1, checked: 1, unavailable: 1 },
      verdicts: { correct: 2, wrong: 1, skipped: 1 },
      disputes: { open: 1, withdrawn: 1 },
    });
    const recent = await sut.recentBatches(2);
    expect(recent.map((b) => [b.batchIndex, b.status, b.verdicts])).toEqual([
      [2, 'pending', { skipped: 1 }],
      [1, 'checked', { correct: 2, wrong: 1 }],
    ]);
    expect((await sut.recentBatches(5))[2]).toMatchObject({ batchIndex: 0, note: 'no data', verdicts: {} });
    expect((await sut.recentDisputes(5)).map((d) => [d.disputeId, d.status, d.note])).toEqual([
      [5, 'open', null],
      [4, 'withdrawn', 'won'],
    ]);
  });
});
