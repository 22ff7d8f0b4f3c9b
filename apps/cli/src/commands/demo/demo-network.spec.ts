import { narrator } from './demo-network';

describe(narrator.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it('stamps lines on the monotonic clock: a wall clock stepped back does not take the times back', () => {
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    let wall = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => wall);
    const say = narrator();
    say('one');
    wall -= 60_000; // NTP steps the wall clock back a minute
    say('two');
    const times = lines.map((l) => Number(/^\[ *([\d.]+)s\]/.exec(l)![1]));
    expect(times).toHaveLength(2);
    expect(times[1]).toBeGreaterThanOrEqual(times[0]);
  });

  it('takes the clock it is given', () => {
    const lines: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    let now = 500;
    const say = narrator(() => now);
    now += 12_340;
    say('built');
    expect(lines).toEqual(['[ 12.3s] built']);
  });
});
