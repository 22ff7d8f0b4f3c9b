import { buildPoseidonReference } from 'circomlibjs';
import { encodeAbiParameters, keccak256, concat, type Hex } from 'viem';
import { BatchTree } from './batch-tree';
import { claimLeaf } from './claim-leaf';
import { FIELD_MODULUS, toHex32, type Hex32 } from './field';
import { createTensorCommitter, packTensor, type TensorCommitter } from './tensor-commitment';
import { TraceTree } from './trace-commitment';

/** OpenZeppelin MerkleProof.processProof, written out: commutative keccak of sorted pairs. */
function ozProcessProof(leaf: Hex, proof: readonly Hex[]): Hex {
  return proof.reduce(
    (node, sibling) =>
      BigInt(node) < BigInt(sibling)
        ? keccak256(concat([node, sibling]))
        : keccak256(concat([sibling, node])),
    leaf,
  );
}

let sut: TensorCommitter;
beforeAll(async () => {
  sut = await createTensorCommitter();
});

describe('createTensorCommitter', () => {
  it('packs int8 lanes little-endian with a +128 offset, 31 lanes per word', () => {
    expect(packTensor({ dtype: 'int8', data: [-128, 0, 127] })).toEqual([0n + 128n * 256n + 255n * 65536n]);
    const words = packTensor({ dtype: 'int8', data: new Array(32).fill(1) });
    expect(words).toHaveLength(2);
    expect(words[1]).toBe(129n);
    expect(words[0]).toBeLessThan(1n << 248n);
    expect(packTensor({ dtype: 'int32', data: new Array(8).fill(-1) })).toEqual([
      ((1n << 224n) / ((1n << 32n) - 1n)) * ((1n << 31n) - 1n),
      (1n << 31n) - 1n,
    ]);
  });

  it('matches an independent Poseidon (circomlibjs reference) on the documented sponge', async () => {
    const reference = await buildPoseidonReference();
    const hash = (xs: bigint[]) => reference.F.toObject(reference(xs));
    const data = Array.from({ length: 500 }, (_, i) => ((i * 37) % 256) - 128); // 17 words: 2 chunks
    const salt = 12345n;
    const words = packTensor({ dtype: 'int8', data });
    expect(words).toHaveLength(17);
    let state = hash([500n + (1n << 32n), salt]);
    state = hash([state, ...words.slice(0, 15)]);
    state = hash([state, ...words.slice(15)]);
    expect(sut.commitTensor({ dtype: 'int8', data }, salt)).toBe(toHex32(state));
  });

  it('absorbs long tensors in chunks of 15 words (pinned vector)', () => {
    const data = Array.from({ length: 784 }, (_, i) => (i % 255) - 127);
    // Regression vector: changing the packing or sponge changes this value (and breaks circuits).
    expect(sut.commitTensor({ dtype: 'int8', data })).toBe(
      '0x09d492738d592901753616f5c0b63d6fce684469a981ca1a11af76a34fd8a1d2',
    );
  });

  it('binds the dtype, the length and the salt', () => {
    const data = [1, 2, 3];
    const base = sut.commitTensor({ dtype: 'int8', data });
    expect(sut.commitTensor({ dtype: 'int16', data })).not.toBe(base);
    expect(sut.commitTensor({ dtype: 'int8', data: [1, 2, 3, -128] })).not.toBe(base); // -128 packs to lane 0
    expect(sut.commitTensor({ dtype: 'int8', data }, 1n)).not.toBe(base);
    expect(sut.commitTensor({ dtype: 'int8', data }, 0n)).toBe(base);
  });

  it('rejects values outside the dtype instead of letting a lane overflow into the next', () => {
    expect(() => packTensor({ dtype: 'int8', data: [0, 128] })).toThrow(/element 1 is 128, outside int8/);
    expect(() => packTensor({ dtype: 'uint8', data: [-1] })).toThrow(/outside uint8/);
    expect(() => packTensor({ dtype: 'int16', data: [0.5] })).toThrow(
      'element 0 is 0.5, not an integer of int16',
    );
  });

  it('uses the field of circomlibjs and circom (BN254 scalar field r)', async () => {
    const reference = await buildPoseidonReference();
    expect(FIELD_MODULUS).toBe((reference.F as unknown as { p: bigint }).p);
  });

  it('rejects a salt outside the field', () => {
    expect(() => sut.commitTensor({ dtype: 'int8', data: [1] }, FIELD_MODULUS)).toThrow(
      /below the BN254 modulus/,
    );
    expect(() => sut.commitTensor({ dtype: 'int8', data: [1] }, -1n)).toThrow(/below the BN254 modulus/);
  });
});

describe(claimLeaf.name, () => {
  const claim = {
    modelId: toHex32(1n),
    taskId: toHex32(2n),
    inputCommitment: toHex32(3n),
    outputCommitment: toHex32(4n),
    traceRoot: toHex32(5n),
    operator: '0x00000000000000000000000000000000000000AB',
  } as const;

  it('equals keccak256(abi.encode(...)) as Solidity computes it', () => {
    const encoded = encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'bytes32' },
        { type: 'address' },
      ],
      [
        claim.modelId,
        claim.taskId,
        claim.inputCommitment,
        claim.outputCommitment,
        claim.traceRoot,
        claim.operator,
      ],
    );
    expect(claimLeaf(claim)).toBe(keccak256(encoded));
  });

  it('rejects a malformed field', () => {
    expect(() => claimLeaf({ ...claim, operator: '0x12' })).toThrow(/claim.operator must be 20 bytes/);
  });
});

describe(BatchTree.name, () => {
  const leaves = Array.from({ length: 13 }, (_, i) => keccak256(toHex32(BigInt(i)))) as Hex32[];

  it('gives proofs that an OpenZeppelin MerkleProof check accepts, for every leaf', () => {
    const tree = new BatchTree(leaves);
    for (const leaf of leaves) {
      const proof = tree.proof(leaf);
      expect(ozProcessProof(leaf, proof)).toBe(tree.root);
      expect(BatchTree.verify(tree.root, leaf, proof)).toBe(true);
    }
  });

  it('rejects a proof for a leaf outside the batch or a tampered proof', () => {
    const tree = new BatchTree(leaves);
    const proof = tree.proof(leaves[3]);
    expect(BatchTree.verify(tree.root, keccak256('0x01') as Hex32, proof)).toBe(false);
    const tampered = [...proof];
    tampered[0] = keccak256(tampered[0]) as Hex32;
    expect(BatchTree.verify(tree.root, leaves[3], tampered)).toBe(false);
  });

  it('has a root that does not depend on leaf order, with a pinned vector', () => {
    expect(new BatchTree([...leaves].reverse()).root).toBe(new BatchTree(leaves).root);
    expect(new BatchTree(leaves.slice(0, 3)).root).toBe(
      '0xb007b2401335d84a33963170c232d17fc12fb663e82aa8d77d61d3216dfd94fc',
    );
    expect(new BatchTree([leaves[0]]).root).toBe(leaves[0]);
  });

  it('refuses empty batches and duplicate leaves', () => {
    expect(() => new BatchTree([])).toThrow(/at least one/);
    expect(() => new BatchTree([leaves[0], leaves[0]])).toThrow(/duplicate/);
  });

  it('rebuilds a tree someone posted with a leaf twice, and each leaf proves under its root', () => {
    const posted = [leaves[0], leaves[1], leaves[0], leaves[2]];
    const tree = BatchTree.ofPosted(posted);
    expect(tree.root).not.toBe(new BatchTree(leaves.slice(0, 3)).root);
    for (const leaf of posted) expect(BatchTree.verify(tree.root, leaf, tree.proof(leaf))).toBe(true);
    expect(() => BatchTree.ofPosted([])).toThrow(/at least one/);
  });
});

describe(TraceTree.name, () => {
  const hs = [11n, 22n, 33n, 44n, 55n].map(toHex32);

  it('proves h_i at index i with OpenZeppelin standard (double-hashed) leaves', () => {
    const tree = new TraceTree(hs);
    hs.forEach((h, i) => {
      const proof = tree.proof(i);
      const leaf = keccak256(
        keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }], [BigInt(i), h])),
      );
      expect(ozProcessProof(leaf, proof)).toBe(tree.root);
      expect(TraceTree.verify(tree.root, i, h, proof)).toBe(true);
    });
  });

  it('rejects a commitment claimed at the wrong index', () => {
    const tree = new TraceTree(hs);
    expect(TraceTree.verify(tree.root, 2, hs[1], tree.proof(1))).toBe(false);
  });
});
