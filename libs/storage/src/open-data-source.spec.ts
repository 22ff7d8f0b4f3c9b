import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { verifierDataSourceOptions, watcherDataSourceOptions } from './data-source-options';
import { openDataSource } from './open-data-source';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';

describeEachDatabase(openDataSource.name, (kind) => {
  let database: TestDatabase;
  const opened: DataSource[] = [];

  beforeEach(async () => (database = await createTestDatabase(kind)));
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
    await database.drop();
  });

  // A sqlite file belongs to one process: replicas are a Postgres set-up.
  (kind === 'postgres' ? it : it.skip)(
    'migrates a new database once when replicas start together',
    async () => {
      const starts = await Promise.allSettled(
        [1, 2, 3].map(() => openDataSource(verifierDataSourceOptions(database.location))),
      );
      for (const s of starts) if (s.status === 'fulfilled') opened.push(s.value);
      expect(starts.map((s) => (s.status === 'rejected' ? String(s.reason) : 'open'))).toEqual([
        'open',
        'open',
        'open',
      ]);
      const migrations = await opened[0].query('SELECT "name" FROM "migrations"');
      expect(migrations).toHaveLength(opened[0].migrations.length);
    },
  );

  it('opens the watcher’s database too, and again after a restart', async () => {
    opened.push(await openDataSource(watcherDataSourceOptions(database.location)));
    await opened.pop()!.destroy();
    opened.push(await openDataSource(watcherDataSourceOptions(database.location)));
    expect(await opened[0].query('SELECT COUNT(*) AS "n" FROM "migrations"')).toEqual([{ n: 2 }]);
  });
});
