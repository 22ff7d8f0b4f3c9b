/** Seconds since `start` (a performance.now() reading). */
export const seconds = (start: number) => (performance.now() - start) / 1000;

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Peak resident memory while `f` runs, sampled every 20 ms. */
export async function withPeakRss<T>(f: () => Promise<T>): Promise<[T, number]> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    return [await f(), Math.max(peak, process.memoryUsage().rss)];
  } finally {
    clearInterval(timer);
  }
}

/**
 * A bench's command-line entry that needs a server: exits 2 with `hint` when `server` is unset,
 * else prints the bench's table and exits 0 (1 on an error).
 */
export function runServerBench(
  server: string | undefined,
  hint: string,
  bench: (server: string) => Promise<string>,
): void {
  if (!server) {
    console.error(hint);
    process.exit(2);
  }
  bench(server)
    .then((table) => {
      console.log(table);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
