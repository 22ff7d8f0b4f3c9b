/**
 * Whether an error says the database cannot be reached right now (a Postgres restart or outage, a
 * sqlite file locked past its busy timeout), as opposed to a bug: such requests answer 503
 * DATABASE_UNAVAILABLE, which a client retries, never 500. typeorm wraps the driver's error as
 * `driverError`; pg's own errors carry a SQLSTATE `code`, node's socket errors an errno `code`.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error as Record<string, unknown> | undefined, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    // SQLSTATE class 08 (connection exception) but 08P01, a protocol violation: Postgres says so
    // of a bug (a parameter too many), which a retry repeats; 57P01-03 (admin or crash shutdown,
    // starting up); 53300 (too many connections).
    if ((/^08/.test(code) && code !== '08P01') || /^57P0[1-3]$/.test(code) || code === '53300') return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'SQLITE_BUSY'].includes(code))
      return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (
      /Connection terminated|timeout exceeded when trying to connect|is not queryable|Connection is not established|SQLITE_BUSY/.test(
        message,
      )
    )
      return true;
    e = (e.driverError ?? e.cause) as Record<string, unknown> | undefined;
  }
  return false;
}
