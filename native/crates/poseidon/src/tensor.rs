//! verilay's tensor commitment (docs/commitments.md; libs/commitments/src/tensor-commitment.ts),
//! the same function bit for bit:
//!   lanes:  lane_i = value_i - dtype.min (unsigned, dtype.bits wide)
//!   words:  word_j = sum_k lane_{j*L+k} * 2^(bits*k), L = floor(253 / bits) lanes per word
//!   state:  s = Poseidon(length + 2^32 * dtypeCode, salt)
//!           s = Poseidon(s, word_0..word_14), Poseidon(s, word_15..), ... (last chunk shorter)

use ark_bn254::Fr;
use ark_ff::{BigInteger256, PrimeField};

use crate::permutation::hash;
use crate::PoseidonError;

/// Bits packed into one field element (below log2 r, so every word is canonical).
pub const PACK_BITS: u32 = 253;
/// Words absorbed per Poseidon call after the running state.
pub const WORDS_PER_HASH: usize = 15;

/// verilay's integer element types (libs/inference/src/dtype.ts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    Int8,
    Uint8,
    Int16,
    Int32,
}

impl DType {
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            1 => Self::Int8,
            2 => Self::Uint8,
            3 => Self::Int16,
            4 => Self::Int32,
            _ => return None,
        })
    }
    pub fn code(self) -> u32 {
        match self {
            Self::Int8 => 1,
            Self::Uint8 => 2,
            Self::Int16 => 3,
            Self::Int32 => 4,
        }
    }
    pub fn bits(self) -> u32 {
        match self {
            Self::Int8 | Self::Uint8 => 8,
            Self::Int16 => 16,
            Self::Int32 => 32,
        }
    }
    pub fn min(self) -> i64 {
        match self {
            Self::Int8 => -128,
            Self::Uint8 => 0,
            Self::Int16 => -32768,
            Self::Int32 => i32::MIN as i64,
        }
    }
    pub fn max(self) -> i64 {
        self.min() + (1i64 << self.bits()) - 1
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Uint8 => "uint8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
        }
    }
}

/// A tensor's values as they come: int32 (a trace tensor) or doubles (any JS number array, checked
/// to be integers here).
#[derive(Clone, Copy)]
pub enum Values<'a> {
    I32(&'a [i32]),
    F64(&'a [f64]),
}

impl Values<'_> {
    pub fn len(&self) -> usize {
        match self {
            Values::I32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The unsigned lane of value `i`, or the error the JS path throws for it.
    #[inline(always)]
    fn lane(&self, i: usize, dtype: DType) -> Result<u64, PoseidonError> {
        let value = match self {
            Values::I32(v) => v[i] as f64,
            Values::F64(v) => v[i],
        };
        let lane = value - dtype.min() as f64;
        // SAFETY: a lane wider than its slot would shift every later lane, so two different
        // tensors could pack to the same words. (NaN fails both comparisons.) The value itself
        // must be an integer: `value - min` rounds a tiny fraction away (1e-7 - 2^31).
        if value.fract() == 0.0 && lane >= 0.0 && lane <= (dtype.max() - dtype.min()) as f64 {
            Ok(lane as u64)
        } else {
            Err(PoseidonError::OutsideDType { index: i, value, dtype: dtype.name() })
        }
    }
}

/// The field words of the packing (what the circuit hashes).
pub fn pack(values: Values, dtype: DType) -> Result<Vec<Fr>, PoseidonError> {
    let bits = dtype.bits();
    let lanes = (PACK_BITS / bits) as usize;
    let n = values.len();
    let mut words = Vec::with_capacity(n.div_ceil(lanes));
    let mut j = 0;
    while j < n {
        let mut limbs = [0u64; 4];
        for k in 0..lanes.min(n - j) {
            let lane = values.lane(j + k, dtype)?;
            let at = k as u32 * bits;
            // Lanes are 8, 16 or 32 bits at multiples of their width: never across a limb.
            limbs[(at / 64) as usize] |= lane << (at % 64);
        }
        words.push(Fr::from_bigint(BigInteger256::new(limbs)).expect("253 bits are below r"));
        j += lanes;
    }
    Ok(words)
}

/// The commitment of a tensor under `salt` (0 for every trace tensor but the input).
pub fn commit(values: Values, dtype: DType, salt: Fr) -> Result<Fr, PoseidonError> {
    let words = pack(values, dtype)?;
    let mut state = head(values.len(), dtype, salt)?;
    let mut inputs = [Fr::from(0u64); WORDS_PER_HASH + 1];
    for chunk in words.chunks(WORDS_PER_HASH) {
        inputs[0] = state;
        inputs[1..=chunk.len()].copy_from_slice(chunk);
        state = hash(&inputs[..=chunk.len()])?;
    }
    Ok(state)
}

/// `Poseidon(length + 2^32 * dtypeCode, salt)`. Unsalted (every trace tensor but the input), it
/// depends on the length and dtype only, so a thread keeps the few it meets (a model's trace has
/// the same shapes every run).
fn head(len: usize, dtype: DType, salt: Fr) -> Result<Fr, PoseidonError> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static UNSALTED: RefCell<HashMap<(usize, u32), Fr>> = RefCell::new(HashMap::new());
    }
    let header = || Fr::from(len as u128 + ((dtype.code() as u128) << 32));
    if salt != Fr::from(0u64) {
        return hash(&[header(), salt]);
    }
    let key = (len, dtype.code());
    if let Some(h) = UNSALTED.with(|c| c.borrow().get(&key).copied()) {
        return Ok(h);
    }
    let h = hash(&[header(), salt])?;
    UNSALTED.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(key, h);
    });
    Ok(h)
}
