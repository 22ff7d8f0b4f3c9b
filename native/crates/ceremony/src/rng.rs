//! ffjavascript's deterministic sampling (`ChaCha`, `F.fromRng`, `G.fromRng`), reproduced draw for
//! draw: snarkjs derives a beacon contribution's keys and the points of its proofs of knowledge
//! with it, and `snarkjs powersoftau verify` derives them again, so ours must be the same points.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{
    short_weierstrass::{Affine, SWCurveConfig},
    CurveGroup, PrimeGroup,
};
use ark_ff::{BigInt, BigInteger, Field, LegendreSymbol, PrimeField, Zero};

/// ffjavascript's `ChaCha` (20 rounds, a 256-bit key of eight words, a zero nonce and counter).
pub struct ChaCha {
    state: [u32; 16],
    block: [u32; 16],
    index: usize,
}

impl ChaCha {
    pub fn new(seed: [u32; 8]) -> Self {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&[0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574]);
        state[4..12].copy_from_slice(&seed);
        Self { state, block: [0; 16], index: 16 }
    }

    /// The seed as snarkjs reads it from a hash: its first 32 bytes as big-endian words.
    pub fn from_hash(hash: &[u8]) -> Self {
        let mut seed = [0u32; 8];
        for (i, word) in seed.iter_mut().enumerate() {
            *word = u32::from_be_bytes(hash[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
        }
        Self::new(seed)
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.index == 16 {
            self.refill();
        }
        self.index += 1;
        self.block[self.index - 1]
    }

    /// The high word comes first (ffjavascript: `nextU32() * 2^32 + nextU32()`).
    pub fn next_u64(&mut self) -> u64 {
        let high = self.next_u32() as u64;
        (high << 32) | self.next_u32() as u64
    }

    pub fn next_bool(&mut self) -> bool {
        self.next_u32() & 1 == 1
    }

    fn refill(&mut self) {
        let mut x = self.state;
        for _ in 0..10 {
            for [a, b, c, d] in [[0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15]] {
                quarter_round(&mut x, a, b, c, d);
            }
            for [a, b, c, d] in [[0, 5, 10, 15], [1, 6, 11, 12], [2, 7, 8, 13], [3, 4, 9, 14]] {
                quarter_round(&mut x, a, b, c, d);
            }
        }
        for (out, (mixed, initial)) in self.block.iter_mut().zip(x.iter().zip(self.state.iter())) {
            *out = mixed.wrapping_add(*initial);
        }
        self.index = 0;
        // The 128-bit counter in words 12..15, carried upwards.
        for word in 12..16 {
            self.state[word] = self.state[word].wrapping_add(1);
            if self.state[word] != 0 {
                break;
            }
        }
    }
}

fn quarter_round(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// ffjavascript's `F.fromRng` for a 4-limb prime field: four 64-bit draws masked to the modulus'
/// bit length, rejected until below the modulus. The WASM field takes the result as the element's
/// Montgomery form (it never converts it), so the element is v·R⁻¹ with R = 2^256: what ark-ff's
/// `new_unchecked` makes of the same limbs (its 4-limb Montgomery backend has the same R).
fn montgomery_limbs_from_rng(rng: &mut ChaCha, modulus: BigInt<4>, bits: u32) -> BigInt<4> {
    loop {
        let mut limbs = [0u64; 4];
        for limb in limbs.iter_mut() {
            *limb = rng.next_u64();
        }
        limbs[3] &= (1u64 << (bits - 192)) - 1;
        let v = BigInt::new(limbs);
        if v < modulus {
            return v;
        }
    }
}

pub fn fr_from_rng(rng: &mut ChaCha) -> Fr {
    Fr::new_unchecked(montgomery_limbs_from_rng(rng, Fr::MODULUS, Fr::MODULUS_BIT_SIZE))
}

fn fq_from_rng(rng: &mut ChaCha) -> Fq {
    Fq::new_unchecked(montgomery_limbs_from_rng(rng, Fq::MODULUS, Fq::MODULUS_BIT_SIZE))
}

fn fq2_from_rng(rng: &mut ChaCha) -> Fq2 {
    let c0 = fq_from_rng(rng);
    let c1 = fq_from_rng(rng);
    Fq2::new(c0, c1)
}

/// ffjavascript's `isNegative` for Fq: the canonical value is above (q-1)/2.
pub fn fq_is_negative(x: &Fq) -> bool {
    let mut half = Fq::MODULUS;
    half.div2();
    x.into_bigint() > half
}

/// For Fq2, the sign of c1, or of c0 when c1 is zero.
pub fn fq2_is_negative(x: &Fq2) -> bool {
    if x.c1.is_zero() {
        fq_is_negative(&x.c0)
    } else {
        fq_is_negative(&x.c1)
    }
}

/// `G.fromRng`: draw x and a sign bit until x³ + b is a square; y is the root with that sign.
fn point_from_rng<P: SWCurveConfig>(
    rng: &mut ChaCha,
    draw: impl Fn(&mut ChaCha) -> P::BaseField,
    is_negative: impl Fn(&P::BaseField) -> bool,
) -> Affine<P> {
    loop {
        let x = draw(rng);
        let greatest = rng.next_bool();
        let x3b = x.square() * x + P::COEFF_B;
        if x3b.legendre() == LegendreSymbol::QuadraticNonResidue {
            continue;
        }
        let mut y = x3b.sqrt().expect("a square has a root");
        if greatest != is_negative(&y) {
            y = -y;
        }
        return Affine::new_unchecked(x, y);
    }
}

pub fn g1_from_rng(rng: &mut ChaCha) -> G1Affine {
    // BN254's G1 has cofactor 1 (ffjavascript multiplies by none).
    point_from_rng::<ark_bn254::g1::Config>(rng, fq_from_rng, fq_is_negative)
}

/// ffjavascript's G2 cofactor for bn128 (it clears it by a plain scalar multiplication).
const G2_COFACTOR: [u64; 4] =
    [0x345f_2299_c0f9_fa8d, 0x06ce_ecda_572a_2489, 0xb850_45b6_8181_585e, 0x3064_4e72_e131_a029];

pub fn g2_from_rng(rng: &mut ChaCha) -> G2Affine {
    let p = point_from_rng::<ark_bn254::g2::Config>(rng, fq2_from_rng, fq2_is_negative);
    let cleared: G2Projective = G2Projective::from(p).mul_bigint(G2_COFACTOR);
    cleared.into_affine()
}

/// A point times a scalar, normalised (the keys' g1_sx and g2_spx).
pub fn g1_times(p: &G1Affine, k: Fr) -> G1Affine {
    (G1Projective::from(*p) * k).into_affine()
}

pub fn g2_times(p: &G2Affine, k: Fr) -> G2Affine {
    (G2Projective::from(*p) * k).into_affine()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha_matches_ffjavascript_on_a_zero_seed() {
        // ffjavascript: new ChaCha([0,0,0,0,0,0,0,0]).nextU32() twice (RFC 7539's zero-key block).
        let mut rng = ChaCha::new([0; 8]);
        assert_eq!(rng.next_u32(), 0xade0_b876);
        assert_eq!(rng.next_u32(), 0x903d_f1a0);
    }

    #[test]
    fn sampled_points_are_on_their_curves_and_in_their_groups() {
        let mut rng = ChaCha::new([1, 2, 3, 4, 5, 6, 7, 8]);
        for _ in 0..4 {
            let p = g1_from_rng(&mut rng);
            assert!(p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve());
            let q = g2_from_rng(&mut rng);
            assert!(q.is_on_curve() && q.is_in_correct_subgroup_assuming_on_curve());
        }
        let _ = fr_from_rng(&mut rng);
    }

    #[test]
    fn a_drawn_element_is_its_limbs_read_as_montgomery_form() {
        let mut a = ChaCha::new([9; 8]);
        let mut b = ChaCha::new([9; 8]);
        let x = fr_from_rng(&mut a);
        let limbs = montgomery_limbs_from_rng(&mut b, Fr::MODULUS, 254);
        // v·R⁻¹ times R is v.
        assert_eq!(x * Fr::from_bigint(Fr::R).unwrap(), Fr::from_bigint(limbs).unwrap());
    }
}
