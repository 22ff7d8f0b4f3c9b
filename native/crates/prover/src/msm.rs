//! Multi-scalar multiplication for circom witnesses and for the key's fixed H bases, both with
//! signed-digit windows and batch-affine bucket accumulation (`batch_affine`).
//!
//! Most of a witness is 0, 1 or a small integer (bits, int8 activations, sums, and their negatives
//! r − k); a generic Pippenger pays 254 bits for each of them. Here each scalar is taken as the
//! smaller of s and r − s (negating the base for the latter), zeros are skipped, and a scalar of b
//! bits only has digits in its first ⌈b/c⌉ windows: a one is one addition into window 0's first
//! bucket, a byte one or two additions, and only the full-size wires (Poseidon's) pay every window.

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, CurveGroup};
use ark_ff::{BigInteger, PrimeField, Zero};
use rayon::prelude::*;

use crate::batch_affine::{accumulate, reduce, Entry, Scratch};

pub type Scalar = <Fr as PrimeField>::BigInt;

/// Bucket additions per running-sum step: the reduction's two projective additions cost about
/// three batch-affine ones.
const REDUCTION_WEIGHT: usize = 3;

/// Σ scalars[i]·bases[i] over the shorter of the two (scalars in standard form, below r).
pub fn msm<P: SWCurveConfig<ScalarField = Fr>>(bases: &[Affine<P>], scalars: &[Scalar]) -> Projective<P> {
    // (base index, negate, magnitude, bits): the smaller of s and r − s.
    let terms: Vec<(usize, bool, Scalar, usize)> = scalars
        .iter()
        .zip(bases)
        .enumerate()
        .filter(|(_, (s, b))| !s.is_zero() && !b.infinity)
        .map(|(i, (s, _))| {
            let mut negated = Fr::MODULUS;
            negated.sub_with_borrow(s);
            let (bits, negated_bits) = (s.num_bits() as usize, negated.num_bits() as usize);
            if negated_bits < bits {
                (i, true, negated, negated_bits)
            } else {
                (i, false, *s, bits)
            }
        })
        .collect();
    let Some(max_bits) = terms.iter().map(|t| t.3).max() else {
        return Projective::zero();
    };
    let cost = |c: usize| {
        let windows = (max_bits + 1).div_ceil(c);
        terms.iter().map(|t| t.3.div_ceil(c)).sum::<usize>() + windows * REDUCTION_WEIGHT * (1 << (c - 1))
    };
    let c = (2..=16).min_by_key(|&c| cost(c)).expect("non-empty range");
    let windows = (max_bits + 1).div_ceil(c);
    let mut digits = vec![0i32; terms.len() * windows];
    digits.par_chunks_mut(windows).zip(&terms).for_each(|(row, t)| signed_digits(&t.2, c, row));

    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map_init(Scratch::default, |scratch, w| {
            let entries: Vec<Entry> = terms
                .iter()
                .zip(digits.chunks_exact(windows))
                .filter(|(_, row)| row[w] != 0)
                .map(|(t, row)| Entry {
                    bucket: row[w].unsigned_abs() - 1,
                    negate: t.1 ^ (row[w] < 0),
                    index: t.0,
                })
                .collect();
            let mut buckets = vec![Affine::<P>::identity(); 1 << (c - 1)];
            accumulate(&mut buckets, &entries, bases, scratch);
            reduce(&buckets)
        })
        .collect();
    let mut total = Projective::<P>::zero();
    for sum in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += sum;
    }
    total
}

/// Writes s in signed base 2^c into `out` (digits in (−2^(c−1), 2^(c−1)]); `out` must hold
/// ⌈(bits + 1)/c⌉ digits so that the last carry lands.
fn signed_digits(s: &Scalar, c: usize, out: &mut [i32]) {
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for (j, d) in out.iter_mut().enumerate() {
        let digit = window(s, j * c, c) as i64 + carry;
        (*d, carry) = if digit > half { ((digit - (1 << c)) as i32, 1) } else { (digit as i32, 0) };
    }
    debug_assert_eq!(carry, 0);
}

/// The `c` bits of `s` from bit `at` (zero past the top).
fn window(s: &Scalar, at: usize, c: usize) -> u64 {
    let (limb, bit) = (at / 64, at % 64);
    if limb >= 4 {
        return 0;
    }
    let mut v = s.0[limb] >> bit;
    if bit + c > 64 && limb + 1 < 4 {
        v |= s.0[limb + 1] << (64 - bit);
    }
    v & ((1u64 << c) - 1)
}

/// A fixed-base table for bases that never change (the key's H points): 2^(c·j)·P for every
/// window j, so one set of buckets serves all windows: no doublings and one bucket reduction per
/// thread instead of one per window, and signed digits halve the buckets. Costs windows × n
/// affine points of memory, computed once when the key is loaded.
pub struct FixedBaseMsm<P: SWCurveConfig> {
    c: usize,
    windows: usize,
    n: usize,
    table: Vec<Affine<P>>,
}

/// Additions gathered before they are sorted into the buckets (bounds the sort's buffers).
const BATCH: usize = 1 << 15;

impl<P: SWCurveConfig<ScalarField = Fr>> FixedBaseMsm<P> {
    pub fn new(bases: &[Affine<P>]) -> Self {
        let n = bases.len();
        let threads = rayon::current_num_threads().max(1);
        // Minimise additions: n per window plus a reduction of 2^(c−1) buckets per thread.
        let c = (4..=16usize)
            .min_by_key(|&c| n * 256usize.div_ceil(c) + threads * REDUCTION_WEIGHT * (1 << (c - 1)))
            .expect("non-empty range");
        let windows = 256usize.div_ceil(c);
        let mut current: Vec<Projective<P>> = bases.iter().map(|b| (*b).into()).collect();
        // Base-major (all windows of base i together): a scalar's additions read one stretch.
        let mut table = vec![Affine::<P>::identity(); windows * n];
        for j in 0..windows {
            for (i, p) in Projective::normalize_batch(&current).into_iter().enumerate() {
                table[i * windows + j] = p;
            }
            current.par_iter_mut().for_each(|p| {
                (0..c).for_each(|_| {
                    p.double_in_place();
                })
            });
        }
        FixedBaseMsm { c, windows, n, table }
    }

    /// Σ scalars[i]·bases[i] (the scalars in standard form, below r).
    pub fn msm(&self, scalars: &[Scalar]) -> Projective<P> {
        let n = self.n.min(scalars.len());
        let threads = rayon::current_num_threads().max(1);
        let chunk = n.div_ceil(threads).max(1);
        (0..n)
            .step_by(chunk)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| self.partial(scalars, start, (start + chunk).min(n)))
            .reduce(Projective::zero, |a, b| a + b)
    }

    fn partial(&self, scalars: &[Scalar], start: usize, end: usize) -> Projective<P> {
        let mut buckets = vec![Affine::<P>::identity(); 1 << (self.c - 1)];
        let mut scratch = Scratch::default();
        let mut entries = Vec::with_capacity(BATCH + self.windows);
        let mut digits = vec![0i32; self.windows];
        for (i, s) in scalars.iter().enumerate().take(end).skip(start) {
            signed_digits(s, self.c, &mut digits);
            for (j, &d) in digits.iter().enumerate() {
                if d != 0 {
                    entries.push(Entry {
                        bucket: d.unsigned_abs() - 1,
                        negate: d < 0,
                        index: i * self.windows + j,
                    });
                }
            }
            if entries.len() >= BATCH {
                accumulate(&mut buckets, &entries, &self.table, &mut scratch);
                entries.clear();
            }
        }
        accumulate(&mut buckets, &entries, &self.table, &mut scratch);
        reduce(&buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::VariableBaseMSM;
    use ark_ff::UniformRand;
    use ark_std::test_rng;

    /// Witness-like scalars: zeros, ones, small positives and negatives (r − k), u64-sized ones,
    /// 100-bit ones, r − 1, and random ones.
    fn scalars(n: usize) -> Vec<Scalar> {
        let rng = &mut test_rng();
        (0..n)
            .map(|i| match i % 9 {
                0 => Fr::zero(),
                1 => Fr::from(1u64),
                2 => Fr::from((i * 7919 % 256) as u64),
                3 => -Fr::from((i * 104729 % 65536) as u64 + 1),
                4 => Fr::from(u64::MAX - i as u64),
                5 => -Fr::from(1u64),
                6 => Fr::from(1u128 << 99) + Fr::from(i as u64),
                7 => -Fr::from(u128::MAX - i as u128),
                _ => Fr::rand(rng),
            })
            .map(|s| s.into_bigint())
            .collect()
    }

    fn random_scalars(n: usize) -> Vec<Scalar> {
        let rng = &mut test_rng();
        (0..n).map(|_| Fr::rand(rng).into_bigint()).collect()
    }

    #[test]
    fn equals_arkworks_msm_on_witness_like_and_random_scalars() {
        let rng = &mut test_rng();
        for n in [0, 1, 2, 5, 9, 200, 1500] {
            let g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(rng).into_affine()).collect();
            let g2: Vec<G2Affine> = (0..n.min(300)).map(|_| G2Projective::rand(rng).into_affine()).collect();
            for s in [scalars(n), random_scalars(n)] {
                assert_eq!(msm(&g1, &s), G1Projective::msm_bigint(&g1, &s), "G1, n = {n}");
                assert_eq!(msm(&g2, &s), G2Projective::msm_bigint(&g2, &s[..g2.len()]), "G2, n = {n}");
            }
        }
    }

    #[test]
    fn handles_repeated_and_opposite_bases_and_the_identity() {
        // The same point under several wires (sums become doublings), a point and its negation
        // (sums cancel), and identity bases (skipped).
        let rng = &mut test_rng();
        let p = G1Projective::rand(rng).into_affine();
        let mut bases = vec![p, p, -p, p, G1Affine::identity(), p];
        bases.extend((0..50).map(|_| p));
        let s: Vec<Scalar> = (0..bases.len())
            .map(|i| [Fr::from(1u64), -Fr::from(1u64), Fr::from(3u64), Fr::rand(rng)][i % 4].into_bigint())
            .collect();
        assert_eq!(msm(&bases, &s), G1Projective::msm_bigint(&bases, &s));
        let ones = vec![Fr::from(1u64).into_bigint(); bases.len()];
        assert_eq!(msm(&bases, &ones), G1Projective::msm_bigint(&bases, &ones));
    }

    #[test]
    fn fixed_base_equals_arkworks_msm() {
        let rng = &mut test_rng();
        for n in [1, 3, 100, 700] {
            for mut s in [random_scalars(n), scalars(n)] {
                s[0] = (-Fr::from(1u64)).into_bigint(); // r − 1: every window's digit carries
                let g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(rng).into_affine()).collect();
                assert_eq!(FixedBaseMsm::new(&g1).msm(&s), G1Projective::msm_bigint(&g1, &s), "G1, n = {n}");
                let g2: Vec<G2Affine> =
                    (0..n.min(50)).map(|_| G2Projective::rand(rng).into_affine()).collect();
                let expected = G2Projective::msm_bigint(&g2, &s[..g2.len()]);
                assert_eq!(FixedBaseMsm::new(&g2).msm(&s), expected, "G2, n = {n}");
            }
        }
    }

    #[test]
    fn fixed_base_carries_buckets_across_batches() {
        // More additions per thread than one batch holds: later batches add into the buckets the
        // earlier ones filled.
        let rng = &mut test_rng();
        let n = 3000usize;
        let g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(rng).into_affine()).collect();
        let sut = FixedBaseMsm::new(&g1);
        assert!(n.div_ceil(rayon::current_num_threads()) * sut.windows > BATCH);
        let s = random_scalars(n);
        assert_eq!(sut.msm(&s), G1Projective::msm_bigint(&g1, &s));
    }
}
