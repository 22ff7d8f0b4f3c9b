//! The trace root: OpenZeppelin's standard Merkle tree over (index, h_index) leaves, as
//! libs/commitments' `traceRoot` (and `TraceTree`) compute it, so a contract checks a step with
//! `MerkleProof.verify`. Leaves are keccak256(keccak256(abi.encode(uint256 i, bytes32 h))),
//! sorted; the tree is OpenZeppelin's array layout with commutative (sorted-pair) keccak nodes.

use sha3::{Digest, Keccak256};

fn keccak(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// The root over `commitments` (h_0 ... h_L, 32 bytes each); `None` for fewer than two (a trace
/// has at least an input and an output).
pub fn trace_root(commitments: &[[u8; 32]]) -> Option<[u8; 32]> {
    if commitments.len() < 2 {
        return None;
    }
    let mut leaves: Vec<[u8; 32]> = commitments
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut encoded = [0u8; 64];
            encoded[24..32].copy_from_slice(&(i as u64).to_be_bytes());
            encoded[32..].copy_from_slice(h);
            keccak(&keccak(&encoded))
        })
        .collect();
    leaves.sort_unstable();
    // OpenZeppelin's makeMerkleTree: leaves fill the array's end in reverse, node i's children are
    // 2i+1 and 2i+2.
    let n = 2 * leaves.len() - 1;
    let mut tree = vec![[0u8; 32]; n];
    for (i, leaf) in leaves.iter().enumerate() {
        tree[n - 1 - i] = *leaf;
    }
    for i in (0..n - leaves.len()).rev() {
        let (a, b) = (tree[2 * i + 1], tree[2 * i + 2]);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut pair = [0u8; 64];
        pair[..32].copy_from_slice(&lo);
        pair[32..].copy_from_slice(&hi);
        tree[i] = keccak(&pair);
    }
    Some(tree[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_two_commitments() {
        assert_eq!(trace_root(&[]), None);
        assert_eq!(trace_root(&[[1; 32]]), None);
    }

    #[test]
    fn two_leaves_hash_as_a_sorted_pair() {
        let leaf = |i: u64, h: [u8; 32]| {
            let mut e = [0u8; 64];
            e[24..32].copy_from_slice(&i.to_be_bytes());
            e[32..].copy_from_slice(&h);
            keccak(&keccak(&e))
        };
        let (a, b) = (leaf(0, [7; 32]), leaf(1, [9; 32]));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        assert_eq!(trace_root(&[[7; 32], [9; 32]]), Some(keccak(&[lo, hi].concat())));
    }
}
