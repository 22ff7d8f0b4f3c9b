/**
 * Joins the batches that concurrent callers hand in during one turn of the event loop into one
 * call of `work` (run on the next setImmediate), and hands each caller its slice of the results.
 * Under many small concurrent requests this turns one native call or thread message per request
 * into one per loop turn. If `work` fails, every caller of that turn gets its error.
 */
export class Coalescer<I, O> {
  private pending: { items: readonly I[]; resolve(out: O[]): void; reject(e: unknown): void }[] = [];

  constructor(private readonly work: (items: readonly I[]) => Promise<O[]>) {}

  run(items: readonly I[]): Promise<O[]> {
    if (!items.length) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      if (!this.pending.length) setImmediate(() => void this.flush());
      this.pending.push({ items, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const callers = this.pending;
    this.pending = [];
    try {
      const out = await this.work(callers.length === 1 ? callers[0].items : callers.flatMap((c) => c.items));
      let at = 0;
      for (const c of callers) c.resolve(out.slice(at, (at += c.items.length)));
    } catch (error) {
      for (const c of callers) c.reject(error);
    }
  }
}
