//! Point encodings of snarkjs/ffjavascript for bn128 (wasmcurves' LEMtoU, LEMtoC):
//! - LEM (the file's points): affine x then y, each coordinate's Montgomery form little-endian,
//!   Fq2 as c0 then c1; the point at infinity is all zeros;
//! - uncompressed (hashed, and the contribution's public key): the canonical value of each
//!   coordinate big-endian, an Fq2 as c1 then c0 (the whole 64-byte element reversed);
//! - compressed (hashed into the response): x as above, with 0x80 in the first byte when y is
//!   "negative" (ffjavascript's sign), 0x40 alone for the point at infinity.

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};

use crate::rng::{fq2_is_negative, fq_is_negative};

pub const G1_LEM: usize = 64;
pub const G2_LEM: usize = 128;

fn fq_lem(x: &Fq, out: &mut [u8]) {
    // ark-ff keeps elements in Montgomery form with R = 2^256, as ffjavascript does.
    for (chunk, limb) in out[..32].chunks_exact_mut(8).zip(x.0 .0.iter()) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
}

fn fq_be(x: &Fq, out: &mut [u8]) {
    out[..32].copy_from_slice(&x.into_bigint().to_bytes_be());
}

fn fq2_be(x: &Fq2, out: &mut [u8]) {
    fq_be(&x.c1, &mut out[..32]);
    fq_be(&x.c0, &mut out[32..64]);
}

pub fn g1_lem(p: &G1Affine, out: &mut [u8]) {
    if p.infinity {
        out[..G1_LEM].fill(0);
        return;
    }
    fq_lem(&p.x, &mut out[..32]);
    fq_lem(&p.y, &mut out[32..64]);
}

pub fn g2_lem(p: &G2Affine, out: &mut [u8]) {
    if p.infinity {
        out[..G2_LEM].fill(0);
        return;
    }
    fq_lem(&p.x.c0, &mut out[..32]);
    fq_lem(&p.x.c1, &mut out[32..64]);
    fq_lem(&p.y.c0, &mut out[64..96]);
    fq_lem(&p.y.c1, &mut out[96..128]);
}

pub fn g1_uncompressed(p: &G1Affine, out: &mut [u8]) {
    if p.infinity {
        out[..64].fill(0);
        return;
    }
    fq_be(&p.x, &mut out[..32]);
    fq_be(&p.y, &mut out[32..64]);
}

pub fn g2_uncompressed(p: &G2Affine, out: &mut [u8]) {
    if p.infinity {
        out[..128].fill(0);
        return;
    }
    fq2_be(&p.x, &mut out[..64]);
    fq2_be(&p.y, &mut out[64..128]);
}

pub fn g1_compressed(p: &G1Affine, out: &mut [u8]) {
    if p.infinity {
        out[..32].fill(0);
        out[0] = 0x40;
        return;
    }
    fq_be(&p.x, &mut out[..32]);
    if fq_is_negative(&p.y) {
        out[0] |= 0x80;
    }
}

pub fn g2_compressed(p: &G2Affine, out: &mut [u8]) {
    if p.infinity {
        out[..64].fill(0);
        out[0] = 0x40;
        return;
    }
    fq2_be(&p.x, &mut out[..64]);
    if fq2_is_negative(&p.y) {
        out[0] |= 0x80;
    }
}

/// An uncompressed point back from its LEM bytes (for the challenge hash of a written file).
pub fn g1_lem_to_uncompressed(lem: &[u8], out: &mut [u8]) {
    if lem[..64].iter().all(|b| *b == 0) {
        out[..64].fill(0);
        return;
    }
    fq_be(&fq_from_lem(&lem[..32]), &mut out[..32]);
    fq_be(&fq_from_lem(&lem[32..64]), &mut out[32..64]);
}

pub fn g2_lem_to_uncompressed(lem: &[u8], out: &mut [u8]) {
    if lem[..128].iter().all(|b| *b == 0) {
        out[..128].fill(0);
        return;
    }
    // LEM: x.c0 x.c1 y.c0 y.c1; uncompressed: x.c1 x.c0 y.c1 y.c0.
    for (from, to) in [(32, 0), (0, 32), (96, 64), (64, 96)] {
        fq_be(&fq_from_lem(&lem[from..from + 32]), &mut out[to..to + 32]);
    }
}

/// The element whose Montgomery form these little-endian bytes are (written by this crate, so
/// below the modulus).
fn fq_from_lem(bytes: &[u8]) -> Fq {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    Fq::new_unchecked(ark_ff::BigInt::new(limbs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn the_generator_encodes_as_ffjavascript_does() {
        let mut u = [0u8; 64];
        g1_uncompressed(&G1Affine::generator(), &mut u);
        assert_eq!(u[31], 1); // x = 1, big-endian
        assert_eq!(u[63], 2); // y = 2
        let mut lem = [0u8; 64];
        g1_lem(&G1Affine::generator(), &mut lem);
        let mut back = [0u8; 64];
        g1_lem_to_uncompressed(&lem, &mut back);
        assert_eq!(u, back);
        let mut c = [0u8; 32];
        g1_compressed(&G1Affine::generator(), &mut c);
        assert_eq!(c[..], u[..32]); // y = 2 is "positive"
    }

    #[test]
    fn g2_round_trips_through_lem() {
        let g = G2Affine::generator();
        let mut lem = [0u8; 128];
        g2_lem(&g, &mut lem);
        let (mut a, mut b) = ([0u8; 128], [0u8; 128]);
        g2_uncompressed(&g, &mut a);
        g2_lem_to_uncompressed(&lem, &mut b);
        assert_eq!(a, b);
    }
}
