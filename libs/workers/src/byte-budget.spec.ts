import { ByteBudget } from './byte-budget';

/** A job that runs until `finish()` is called, and says whether it has started. */
function gate() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const job = { started: false, finish, work: async () => ((job.started = true), await done) };
  return job;
}

const tick = () => new Promise((r) => setImmediate(r));

describe(ByteBudget.name, () => {
  it('runs jobs together while their bytes fit, and the next one when bytes come back', async () => {
    const sut = new ByteBudget(100);
    const [a, b, c] = [gate(), gate(), gate()];
    const runs = [sut.run(40, a.work), sut.run(50, b.work), sut.run(20, c.work)];
    await tick();
    expect([a.started, b.started, c.started]).toEqual([true, true, false]);
    expect(sut.inFlight).toBe(90);
    a.finish();
    await tick();
    expect(c.started).toBe(true);
    expect(sut.inFlight).toBe(70);
    b.finish();
    c.finish();
    await Promise.all(runs);
    expect(sut.inFlight).toBe(0);
  });

  it('runs a job larger than the budget alone, and nothing beside it', async () => {
    const sut = new ByteBudget(100);
    const [small, huge, after] = [gate(), gate(), gate()];
    const runs = [sut.run(10, small.work), sut.run(500, huge.work), sut.run(1, after.work)];
    await tick();
    // The huge one waits for the small one; the one behind it waits its turn (first come first served).
    expect([small.started, huge.started, after.started]).toEqual([true, false, false]);
    small.finish();
    await tick();
    expect([huge.started, after.started]).toEqual([true, false]);
    huge.finish();
    await tick();
    expect(after.started).toBe(true);
    after.finish();
    await Promise.all(runs);
  });

  it('gives the bytes back when a job fails, and passes the failure on', async () => {
    const sut = new ByteBudget(10);
    await expect(sut.run(10, () => Promise.reject(new Error('replay failed')))).rejects.toThrow(
      'replay failed',
    );
    expect(sut.inFlight).toBe(0);
    await expect(sut.run(10, async () => 7)).resolves.toBe(7);
  });

  it('never holds more than its bytes beside another job, on random sizes and orders', async () => {
    const sut = new ByteBudget(1000);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) as number;
    let held = 0;
    let jobs = 0;
    let worst = 0;
    const runs = Array.from({ length: 200 }, () => {
      const bytes = Math.floor(random() * 1200);
      return sut.run(bytes, async () => {
        held += bytes;
        jobs += 1;
        if (jobs > 1) worst = Math.max(worst, held);
        for (let i = Math.floor(random() * 4); i >= 0; i--) await tick();
        held -= bytes;
        jobs -= 1;
        return bytes;
      });
    });
    const sizes = await Promise.all(runs);
    expect(sizes).toHaveLength(200);
    expect(worst).toBeLessThanOrEqual(1000);
    expect(worst).toBeGreaterThan(0);
    expect(sut.inFlight).toBe(0);
  });

  it('asks a waiter its size when it reaches the head of the line', async () => {
    const sut = new ByteBudget(100);
    const learned: { size?: number } = {};
    const [first, second, third] = [gate(), gate(), gate()];
    // Three jobs of a model not known yet: the worst case (100) until the first learns its size.
    const size = () => learned.size ?? 100;
    const runs = [sut.run(size, first.work), sut.run(size, second.work), sut.run(size, third.work)];
    await tick();
    expect([first.started, second.started, third.started]).toEqual([true, false, false]);
    learned.size = 30;
    first.finish();
    await tick();
    expect([second.started, third.started]).toEqual([true, true]);
    expect(sut.inFlight).toBe(60);
    second.finish();
    third.finish();
    await Promise.all(runs);
  });

  it('refuses a budget or a size that is not a number of bytes', async () => {
    expect(() => new ByteBudget(0)).toThrow(RangeError);
    expect(() => new ByteBudget(Number.NaN)).toThrow(RangeError);
    await expect(new ByteBudget(10).run(-1, async () => 0)).rejects.toThrow(RangeError);
    // A size that stops being one by the time its job reaches the head of the line fails that job
    // alone, and the line moves on.
    const sut = new ByteBudget(10);
    const holder = gate();
    const held = sut.run(10, holder.work);
    let size = 5;
    const bad = sut.run(
      () => size,
      async () => 0,
    );
    const good = sut.run(
      () => 5,
      async () => 1,
    );
    await tick();
    size = Number.NaN;
    holder.finish();
    await expect(bad).rejects.toThrow(RangeError);
    await expect(good).resolves.toBe(1);
    await held;
    expect(sut.inFlight).toBe(0);
  });
});
