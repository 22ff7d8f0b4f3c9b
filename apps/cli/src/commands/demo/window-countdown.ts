/**
 * Says how long the challenge windows the demo waits on have left, so a window does not pass in
 * silence: a line when a window is first seen, then one every `everyMs` while it runs, and one
 * when it closes. Off a terminal (a log, CI) lines come every third of the window as first seen (or
 * every `everyMs` if longer), so a long window costs a few lines, not hundreds.
 */
export class WindowCountdown {
  private readonly windows = new Map<
    number,
    { endsAt: number; every: number; next: number; closed: boolean }
  >();

  constructor(
    private readonly say: (line: string) => void,
    private readonly tty = process.stdout.isTTY === true,
    private readonly everyMs = 5_000,
  ) {}

  /** A window seen on a claim: batch `batch` (its index on chain) is open until `endsAt` (ms). */
  observe(batch: number, endsAt: number, now: number): void {
    if (this.windows.has(batch)) return;
    const left = endsAt - now;
    if (left <= 0) return; // closed before it was seen: nothing to count down
    const every = this.tty ? this.everyMs : Math.max(this.everyMs, left / 3);
    this.windows.set(batch, { endsAt, every, next: now + every, closed: false });
    this.say(
      `batch ${batch}: challenge window open, ${seconds(left)} left; the watcher replays its claims meanwhile`,
    );
  }

  /** Says what is due at `now`: time left, or that a window closed. */
  tick(now: number): void {
    for (const [batch, w] of this.windows) {
      if (w.closed) continue;
      if (now >= w.endsAt) {
        w.closed = true;
        this.say(`batch ${batch}: challenge window closed; its undisputed claims can be finalized`);
      } else if (now >= w.next) {
        w.next = now + w.every;
        this.say(`batch ${batch}: challenge window closes in ${seconds(w.endsAt - now)}`);
      }
    }
  }
}

const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;
