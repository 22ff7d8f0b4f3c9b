import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import type { Hex32 } from './field';

/**
 * The Merkle tree of a batch's claim leaves: OpenZeppelin's `SimpleMerkleTree` (sorted leaves,
 * commutative keccak256 pairs), so `MerkleProof.verify(proof, batchRoot, leaf)` accepts its proofs.
 */
export class BatchTree {
  private readonly tree: SimpleMerkleTree;

  /** The tree of a batch this side builds: at least one leaf, none twice. */
  constructor(
    readonly leaves: readonly Hex32[],
    options: { readonly duplicates?: 'refuse' | 'allow' } = {},
  ) {
    if (leaves.length === 0) throw new RangeError('a batch has at least one claim');
    if (options.duplicates !== 'allow' && new Set(leaves.map((l) => l.toLowerCase())).size !== leaves.length)
      throw new RangeError('a batch has no duplicate claims');
    this.tree = SimpleMerkleTree.of([...leaves]);
  }

  /**
   * The tree of leaves someone else posted, a leaf twice included. The claim contract takes any
   * root, and every leaf's proof verifies under a root built with duplicates: a checker that
   * refused such a tree would never check that batch, and a lie in it would become final.
   */
  static ofPosted(leaves: readonly Hex32[]): BatchTree {
    return new BatchTree(leaves, { duplicates: 'allow' });
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
