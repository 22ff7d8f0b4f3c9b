import { WindowCountdown } from './window-countdown';

describe(WindowCountdown.name, () => {
  /** Ticks every 250 ms from `from` to `to` (ms), as the demo's settle loop does. */
  const run = (sut: WindowCountdown, from: number, to: number) => {
    for (let t = from; t <= to; t += 250) sut.tick(t);
  };

  it('on a terminal: a line when a window opens, every 5 s while it runs, and when it closes', () => {
    const lines: string[] = [];
    const sut = new WindowCountdown((l) => lines.push(l), true);
    sut.observe(0, 20_000, 0);
    sut.observe(0, 20_000, 1_000); // seen again on another claim of the batch: said once
    run(sut, 0, 25_000);
    expect(lines).toEqual([
      'batch 0: challenge window open, 20 s left; the watcher replays its claims meanwhile',
      'batch 0: challenge window closes in 15 s',
      'batch 0: challenge window closes in 10 s',
      'batch 0: challenge window closes in 5 s',
      'batch 0: challenge window closed; its undisputed claims can be finalized',
    ]);
  });

  it('off a terminal a ten-minute window costs a few lines, not a hundred', () => {
    const lines: string[] = [];
    const sut = new WindowCountdown((l) => lines.push(l), false);
    sut.observe(3, 600_000, 0);
    run(sut, 0, 610_000);
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines[0]).toMatch(/^batch 3: challenge window open, 600 s left/);
    expect(lines[lines.length - 1]).toMatch(/^batch 3: challenge window closed/);
  });

  it('says nothing of a window that closed before it was seen', () => {
    const lines: string[] = [];
    const sut = new WindowCountdown((l) => lines.push(l), true);
    sut.observe(1, 1_000, 2_000);
    run(sut, 2_000, 10_000);
    expect(lines).toEqual([]);
  });
});
