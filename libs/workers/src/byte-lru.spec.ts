import { ByteLru } from './byte-lru';

describe(ByteLru.name, () => {
  it('keeps entries up to a number of bytes, the least recently used leaving first', () => {
    const sut = new ByteLru<string>(100);
    sut.set('a', 'A', 40);
    sut.set('b', 'B', 40);
    expect(sut.get('a')).toBe('A'); // a is now the most recent
    sut.set('c', 'C', 40);
    expect([sut.get('a'), sut.get('b'), sut.get('c')]).toEqual(['A', undefined, 'C']);
    expect(sut.bytes).toBe(80);
  });

  it('does not keep a value larger than the whole bound, and replaces a key in place', () => {
    const sut = new ByteLru<string>(100);
    sut.set('a', 'A', 60);
    sut.set('huge', 'H', 101);
    sut.set('a', 'A2', 10);
    expect([sut.get('huge'), sut.get('a'), sut.bytes, sut.size]).toEqual([undefined, 'A2', 10, 1]);
  });
});
