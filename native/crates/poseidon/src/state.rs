//! The state commitment h_i of a model with slots (docs/model-format.md, "State commitment"):
//! the current tensor's commitment alone when no slot is live, else
//! `Poseidon(tag, c_cur, c_slot1, …)` with `tag = 0x7673746174650000 + k` ("vstate", k live slots).

use crate::{hash, Fr, PoseidonError};

/// "vstate" in the tag's high bytes; the live count k is added.
pub const STATE_TAG: u64 = 0x7673_7461_7465_0000;

/// `h = c_cur` when `slots` is empty, else Poseidon(STATE_TAG + k, c_cur, slots...). At most 14
/// slots (16 Poseidon inputs).
pub fn state_commitment(current: Fr, slots: &[Fr]) -> Result<Fr, PoseidonError> {
    if slots.is_empty() {
        return Ok(current);
    }
    let mut inputs = Vec::with_capacity(slots.len() + 2);
    inputs.push(Fr::from(STATE_TAG + slots.len() as u64));
    inputs.push(current);
    inputs.extend_from_slice(slots);
    hash(&inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_without_slots_and_a_tagged_hash_with() {
        let (c, s1, s2) = (Fr::from(11u64), Fr::from(22u64), Fr::from(33u64));
        assert_eq!(state_commitment(c, &[]), Ok(c));
        // The tag carries the count: 0x7673746174650001 for one slot, ...0002 for two.
        assert_eq!(state_commitment(c, &[s1]), hash(&[Fr::from(0x7673746174650001u64), c, s1]));
        assert_eq!(state_commitment(c, &[s1, s2]), hash(&[Fr::from(0x7673746174650002u64), c, s1, s2]));
        assert_ne!(state_commitment(c, &[s1, s2]), state_commitment(c, &[s2, s1]));
        assert!(state_commitment(c, &[s1; 14]).is_ok());
        assert_eq!(state_commitment(c, &[s1; 15]), Err(PoseidonError::Width(17)));
    }
}
