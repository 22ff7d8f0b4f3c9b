import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { Hex32 } from './field';

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
