import { mapBounded } from './map-bounded';

const tick = () => new Promise((r) => setImmediate(r));

describe(mapBounded.name, () => {
  it('runs at most `limit` at once, every item once, results in order', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const results = await mapBounded([...Array(25).keys()], 4, async (n) => {
      running += 1;
      most = Math.max(most, running);
      seen.push(n);
      for (let i = n % 3; i >= 0; i--) await tick();
      running -= 1;
      return n * n;
    });
    expect(results).toEqual([...Array(25).keys()].map((n) => n * n));
    expect(most).toBe(4);
    expect([...seen].sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
  });

  it('starts nothing after a failure, and throws it only once the running ones are done', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const call = mapBounded([...Array(10).keys()], 3, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw new Error('database gone');
      for (let i = 0; i < 5; i++) await tick();
      finished.push(n);
      return n;
    });
    await expect(call).rejects.toThrow('database gone');
    expect(started).toEqual([0, 1, 2]);
    // The two beside the failure ran to their end before the call threw.
    expect(finished.sort()).toEqual([0, 2]);
  });

  it('takes no items, and refuses a limit that is not a positive integer', async () => {
    await expect(mapBounded([], 2, async () => 1)).resolves.toEqual([]);
    await expect(mapBounded([1], 0, async () => 1)).rejects.toThrow(RangeError);
    await expect(mapBounded([1], 1.5, async () => 1)).rejects.toThrow(RangeError);
  });
});
