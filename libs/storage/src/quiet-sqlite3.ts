// sqlite3 ships no types of its own here; typeorm takes its driver as `any`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sqlite3: unknown = require('sqlite3');

/**
 * The sqlite3 driver for typeorm without its long stack traces. typeorm calls `driver.verbose()`,
 * which wraps every Database and Statement method so that each call builds an Error and
 * `util.inspect`s its arguments (the SQL, and parameters such as a claim's 3 KB task input): a
 * fifth of the verifier's event loop under claim intake (docs/benchmarks.md). Here `verbose()`
 * hands back the plain module; errors keep their message, only the extra stack lines go.
 */
export const quietSqlite3 = { verbose: () => sqlite3 };
