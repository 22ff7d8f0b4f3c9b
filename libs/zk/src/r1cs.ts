/** A parsed R1CS: every constraint is A·w × B·w = C·w over the field. */
export interface R1cs {
  readonly prime: bigint;
  readonly nVars: number;
  readonly nOutputs: number;
  readonly nPubInputs: number;
  readonly nPrvInputs: number;
  readonly constraints: readonly [Map<number, bigint>, Map<number, bigint>, Map<number, bigint>][];
}

/** Parses circom's binary .r1cs (format: iden3 r1csfile, version 1). */
export function parseR1cs(bytes: Uint8Array): R1cs {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'r1cs') throw new Error('not an r1cs file');
  const sections = new Map<number, number>();
  let at = 12;
  for (let i = 0; i < view.getUint32(8, true); i++) {
    const type = view.getUint32(at, true);
    const size = Number(view.getBigUint64(at + 4, true));
    sections.set(type, at + 12);
    at += 12 + size;
  }
  let h = sections.get(1)!;
  const n8 = view.getUint32(h, true);
  const readField = (pos: number) => {
    let v = 0n;
    for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
    return v;
  };
  const prime = readField(h + 4);
  h += 4 + n8;
  const [nVars, nOutputs, nPubInputs, nPrvInputs] = [0, 1, 2, 3].map((i) => view.getUint32(h + 4 * i, true));
  const nConstraints = view.getUint32(h + 24, true);
  let c = sections.get(2)!;
  const readLc = () => {
    const lc = new Map<number, bigint>();
    const terms = view.getUint32(c, true);
    c += 4;
    for (let t = 0; t < terms; t++) {
      lc.set(view.getUint32(c, true), readField(c + 4));
      c += 4 + n8;
    }
    return lc;
  };
  const constraints: [Map<number, bigint>, Map<number, bigint>, Map<number, bigint>][] = [];
  for (let i = 0; i < nConstraints; i++) constraints.push([readLc(), readLc(), readLc()]);
  return { prime, nVars, nOutputs, nPubInputs, nPrvInputs, constraints };
}

/** The index of the first constraint the witness breaks, or -1 when it satisfies all. */
export function firstUnsatisfied(r1cs: R1cs, witness: readonly bigint[]): number {
  const p = r1cs.prime;
  const evaluate = (lc: Map<number, bigint>) => {
    let acc = 0n;
    for (const [wire, coeff] of lc) acc += coeff * (((witness[wire] % p) + p) % p);
    return acc % p;
  };
  return r1cs.constraints.findIndex(([a, b, c]) => (evaluate(a) * evaluate(b) - evaluate(c)) % p !== 0n);
}

/** Signal name -> witness index, from circom's .sym file (eliminated signals map to -1). */
export function parseSym(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [, wire, , name] = line.split(',');
    if (name) map.set(name.trim(), Number(wire));
  }
  return map;
}
