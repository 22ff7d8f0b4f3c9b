import { loadVerifierConfig } from './verifier.config';

describe(`${loadVerifierConfig.name} VERIFIER_DATABASE_URL`, () => {
  it('is unset by default: the sqlite file VERIFIER_DB, as embedded', () => {
    expect(loadVerifierConfig({})).toMatchObject({
      dbPath: 'verilay-verifier.sqlite',
      databaseUrl: undefined,
    });
  });

  it('takes a Postgres URL', () => {
    const url = 'postgresql://verilay:pw@db.internal:5432/verilay?sslmode=require';
    expect(loadVerifierConfig({ VERIFIER_DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('names the variable when the URL is not Postgres or names no database', () => {
    expect(() => loadVerifierConfig({ VERIFIER_DATABASE_URL: 'mysql://db/verilay' })).toThrow(
      /"VERIFIER_DATABASE_URL" must be a valid uri/,
    );
    expect(() => loadVerifierConfig({ VERIFIER_DATABASE_URL: 'postgres://db.internal:5432/' })).toThrow(
      /"VERIFIER_DATABASE_URL" failed custom validation because the Postgres URL needs a host and a database name/,
    );
  });
});
