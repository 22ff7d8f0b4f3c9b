/**
 * The Redis server the specs use (VERILAY_TEST_REDIS_URL: `bash scripts/services.sh start` prints
 * it), or undefined: its specs are then skipped with a line saying so, unless
 * VERILAY_REQUIRE_SERVERS=1 (CI), where a missing server is a failure.
 */
export function testRedisUrl(): string | undefined {
  const url = process.env.VERILAY_TEST_REDIS_URL;
  if (url) return url;
  if (process.env.VERILAY_REQUIRE_SERVERS === '1')
    throw new Error(
      'VERILAY_TEST_REDIS_URL is unset and VERILAY_REQUIRE_SERVERS=1 (bash scripts/services.sh start)',
    );
  console.warn(
    'Redis specs skipped: VERILAY_TEST_REDIS_URL is unset (bash scripts/services.sh start prints it)',
  );
  return undefined;
}
