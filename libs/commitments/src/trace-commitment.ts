import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak_256 } from '@noble/hashes/sha3';
import { isHex32, type Hex32 } from './field';

/** Leaf encoding of trace steps: (index, commitment h_index), OpenZeppelin standard leaf (double keccak). */
export const TRACE_LEAF_ENCODING = ['uint256', 'bytes32'];

/**
 * The Merkle tree over an execution trace's commitments h_0 (input) ... h_L (output).
 *
 * Leaves are OpenZeppelin "standard" leaves keccak256(bytes.concat(keccak256(abi.encode(i, h_i)))),
 * so a contract checks a step with `MerkleProof.verify(proof, traceRoot, leaf)` and the index is
 * bound inside the leaf (leaf order in the tree does not matter).
 */
export class TraceTree {
  private readonly tree: StandardMerkleTree<[bigint, Hex32]>;

  constructor(readonly commitments: readonly Hex32[]) {
    if (commitments.length < 2)
      throw new RangeError('a trace has at least an input and an output commitment');
    this.tree = StandardMerkleTree.of(
      commitments.map((h, i) => [BigInt(i), h]),
      TRACE_LEAF_ENCODING,
    );
  }

  get root(): Hex32 {
    return this.tree.root as Hex32;
  }

  /** Inclusion proof of h_index. */
  proof(index: number): Hex32[] {
    return this.tree.getProof([BigInt(index), this.commitments[index]]) as Hex32[];
  }

  static verify(root: Hex32, index: number, commitment: Hex32, proof: readonly Hex32[]): boolean {
    return StandardMerkleTree.verify(root, TRACE_LEAF_ENCODING, [BigInt(index), commitment], [...proof]);
  }
}

const hexBytes = (hex: string) => Buffer.from(hex.slice(2), 'hex');
const sortPair = (a: Uint8Array, b: Uint8Array) => (Buffer.compare(a, b) <= 0 ? [a, b] : [b, a]);

/**
 * `new TraceTree(commitments).root`, computed directly: OpenZeppelin's standard tree (sorted
 * double-hashed leaves, the array layout of its `makeMerkleTree`, commutative keccak pairs) without
 * its generic ABI encoder, ~20x faster. The replay path takes it for every task; the cross-check
 * is in commitments.spec.ts.
 */
export function traceRoot(commitments: readonly Hex32[]): Hex32 {
  if (commitments.length < 2) throw new RangeError('a trace has at least an input and an output commitment');
  const leaves = commitments.map((h, i) => {
    if (!isHex32(h)) throw new TypeError(`trace commitment ${i} must be 32 bytes of 0x-hex`);
    const encoded = Buffer.alloc(64); // abi.encode(uint256 i, bytes32 h)
    encoded.writeUInt32BE(i, 28);
    hexBytes(h).copy(encoded, 32);
    return keccak_256(keccak_256(encoded));
  });
  leaves.sort(Buffer.compare);
  const tree = new Array<Uint8Array>(2 * leaves.length - 1);
  leaves.forEach((leaf, i) => (tree[tree.length - 1 - i] = leaf));
  for (let i = tree.length - 1 - leaves.length; i >= 0; i--) {
    const [a, b] = sortPair(tree[2 * i + 1], tree[2 * i + 2]);
    const pair = new Uint8Array(64);
    pair.set(a);
    pair.set(b, 32);
    tree[i] = keccak_256(pair);
  }
  return `0x${Buffer.from(tree[0]).toString('hex')}`;
}
