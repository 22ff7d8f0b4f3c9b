import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import type { Hex32 } from './field';

/**
 * The Merkle tree of a batch's claim leaves: OpenZeppelin's `SimpleMerkleTree` (sorted leaves,
 * commutative keccak256 pairs), so `MerkleProof.verify(proof, batchRoot, leaf)` accepts its proofs.
 */
export class BatchTree {
  private readonly tree: SimpleMerkleTree;

  constructor(readonly leaves: readonly Hex32[]) {
    if (leaves.length === 0) throw new RangeError('a batch has at least one claim');
    if (new Set(leaves.map((l) => l.toLowerCase())).size !== leaves.length)
      throw new RangeError('a batch has no duplicate claims');
    this.tree = SimpleMerkleTree.of([...leaves]);
  }

  get root(): Hex32 {
    return this.tree.root as Hex32;
  }

  proof(leaf: Hex32): Hex32[] {
    return this.tree.getProof(leaf) as Hex32[];
  }

  static verify(root: Hex32, leaf: Hex32, proof: readonly Hex32[]): boolean {
    return SimpleMerkleTree.verify(root, leaf, [...proof]);
  }
}
