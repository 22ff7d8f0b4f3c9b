/** Time as the verifier sees it (unix ms); a port so tests can move it. */
export abstract class Clock {
  abstract now(): number;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}
