/**
 * A budget of bytes shared by work in flight: `run(bytes, work)` waits until `bytes` fit beside
 * what runs, then runs `work` and gives the bytes back when it settles. Waiters are served first
 * come, first served (a large job is not starved by small ones behind it), and a job larger than
 * the whole budget runs once nothing else does, alone. (async-mutex's weighted Semaphore walks
 * every unit of its value on each release: with bytes as units that is millions of steps.)
 */
export class ByteBudget {
  private used = 0;
  private running = 0;
  private readonly waiting: { readonly bytes: number; readonly start: () => void }[] = [];

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`a byte budget must be positive, not ${maxBytes}`);
  }

  /** Bytes held by the work in flight. */
  get inFlight(): number {
    return this.used;
  }

  async run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    if (!(bytes >= 0)) throw new RangeError(`bytes must be at least 0, not ${bytes}`);
    if (this.waiting.length > 0 || !this.fits(bytes))
      await new Promise<void>((start) => this.waiting.push({ bytes, start }));
    else this.take(bytes);
    try {
      return await work();
    } finally {
      this.used -= bytes;
      this.running -= 1;
      this.wake();
    }
  }

  private fits(bytes: number): boolean {
    return this.running === 0 || this.used + bytes <= this.maxBytes;
  }

  private take(bytes: number): void {
    this.used += bytes;
    this.running += 1;
  }

  /** Starts the waiters at the head of the line while they fit. */
  private wake(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0].bytes)) {
      const next = this.waiting.shift()!;
      this.take(next.bytes);
      next.start();
    }
  }
}
