/**
 * A budget of bytes shared by work in flight: `run(bytes, work)` waits until `bytes` fit beside
 * what runs, then runs `work` and gives the bytes back when it settles. Waiters are served first
 * come, first served (a large job is not starved by small ones behind it), and a job larger than
 * the whole budget runs once nothing else does, alone. `bytes` may be a function, asked when the
 * job reaches the head of the line: a size learned meanwhile (a model downloaded by the job ahead)
 * counts instead of a worst case. (async-mutex's weighted Semaphore walks every unit of its value
 * on each release: with bytes as units that is millions of steps.)
 */
export class ByteBudget {
  private used = 0;
  private running = 0;
  private readonly waiting: {
    readonly size: () => number;
    readonly start: (bytes: number) => void;
    readonly fail: (error: unknown) => void;
  }[] = [];

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`a byte budget must be positive, not ${maxBytes}`);
  }

  /** Bytes held by the work in flight. */
  get inFlight(): number {
    return this.used;
  }

  async run<T>(bytes: number | (() => number), work: () => Promise<T>): Promise<T> {
    const size = typeof bytes === 'number' ? () => bytes : bytes;
    // With nobody waiting, the size is asked now; otherwise when the job reaches the head.
    const now = this.waiting.length === 0 ? checked(size()) : undefined;
    const taken =
      now !== undefined && this.fits(now)
        ? this.take(now)
        : await new Promise<number>((start, fail) => {
            this.waiting.push({ size, start, fail });
            this.wake();
          });
    try {
      return await work();
    } finally {
      this.used -= taken;
      this.running -= 1;
      this.wake();
    }
  }

  private fits(bytes: number): boolean {
    return this.running === 0 || this.used + bytes <= this.maxBytes;
  }

  private take(bytes: number): number {
    this.used += bytes;
    this.running += 1;
    return bytes;
  }

  /** Starts the waiters at the head of the line while they fit. */
  private wake(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0];
      let bytes: number;
      try {
        bytes = checked(head.size());
      } catch (error) {
        this.waiting.shift();
        head.fail(error);
        continue;
      }
      if (!this.fits(bytes)) return;
      this.waiting.shift();
      head.start(this.take(bytes));
    }
  }
}

function checked(bytes: number): number {
  if (!(bytes >= 0 && Number.isFinite(bytes))) throw new RangeError(`bytes must be at least 0, not ${bytes}`);
  return bytes;
}
