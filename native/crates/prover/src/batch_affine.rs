//! Pippenger's bucket accumulation in affine coordinates. The points bound for each bucket are
//! sorted next to each other and summed pairwise, round after round (a tree per bucket), and all
//! the pair sums of a round share one inversion (Montgomery's trick): an affine addition then costs
//! ~6 field multiplications against ~11 for a mixed Jacobian one.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AdditiveGroup;
use ark_ff::{Field, Zero};

/// One point to add into a bucket: `points[index]`, negated if `negate`.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub bucket: u32,
    pub negate: bool,
    pub index: usize,
}

/// Reusable buffers of `accumulate` (one per thread).
pub(crate) struct Scratch<P: SWCurveConfig> {
    points: Vec<Affine<P>>,
    starts: Vec<usize>,
    lens: Vec<usize>,
    denominators: Vec<P::BaseField>,
}

impl<P: SWCurveConfig> Default for Scratch<P> {
    fn default() -> Self {
        Scratch { points: Vec::new(), starts: Vec::new(), lens: Vec::new(), denominators: Vec::new() }
    }
}

/// Adds every entry's point into its bucket (`buckets` affine; the identity for an empty one).
pub(crate) fn accumulate<P: SWCurveConfig>(
    buckets: &mut [Affine<P>],
    entries: &[Entry],
    points: &[Affine<P>],
    scratch: &mut Scratch<P>,
) {
    let n = buckets.len();
    let Scratch { points: sorted, starts, lens, denominators } = scratch;
    // Counting sort: each bucket's current value first, then its entries' points.
    lens.clear();
    lens.resize(n, 0);
    buckets.iter().zip(lens.iter_mut()).for_each(|(b, l)| *l = usize::from(!b.infinity));
    entries.iter().for_each(|e| lens[e.bucket as usize] += 1);
    starts.clear();
    let mut at = 0;
    for len in lens.iter() {
        starts.push(at);
        at += len;
    }
    sorted.clear();
    sorted.resize(at, Affine::identity());
    let mut fill = std::mem::take(starts);
    for (b, bucket) in buckets.iter().enumerate() {
        if !bucket.infinity {
            sorted[fill[b]] = *bucket;
            fill[b] += 1;
        }
    }
    for e in entries {
        let p = points[e.index];
        let slot = &mut fill[e.bucket as usize];
        sorted[*slot] = if e.negate { -p } else { p };
        *slot += 1;
    }
    // `fill[b]` is now the end of bucket b: its start is the end minus its length.
    fill.iter_mut().zip(lens.iter()).for_each(|(f, l)| *f -= l);
    *starts = fill;

    loop {
        denominators.clear();
        for (&s, &l) in starts.iter().zip(lens.iter()) {
            for k in 0..l / 2 {
                denominators.push(denominator(&sorted[s + 2 * k], &sorted[s + 2 * k + 1]));
            }
        }
        if denominators.is_empty() {
            break;
        }
        invert_all(denominators);
        let mut inverses = denominators.iter();
        for (&s, l) in starts.iter().zip(lens.iter_mut()) {
            if *l < 2 {
                continue;
            }
            for k in 0..*l / 2 {
                let inverse = inverses.next().expect("one per pair");
                sorted[s + k] = add_with_inverse(&sorted[s + 2 * k], &sorted[s + 2 * k + 1], inverse);
            }
            if *l % 2 == 1 {
                sorted[s + *l / 2] = sorted[s + *l - 1];
            }
            *l = l.div_ceil(2);
        }
    }
    for ((bucket, &s), &l) in buckets.iter_mut().zip(starts.iter()).zip(lens.iter()) {
        *bucket = if l == 1 { sorted[s] } else { Affine::identity() };
    }
}

/// What `p + q` divides by: x_q − x_p, or 2·y_p when doubling; zero when no inversion is needed
/// (an identity operand, or q = −p).
fn denominator<P: SWCurveConfig>(p: &Affine<P>, q: &Affine<P>) -> P::BaseField {
    if p.infinity || q.infinity {
        P::BaseField::zero()
    } else if p.x != q.x {
        q.x - p.x
    } else if p.y == q.y {
        p.y.double()
    } else {
        P::BaseField::zero()
    }
}

fn add_with_inverse<P: SWCurveConfig>(p: &Affine<P>, q: &Affine<P>, inverse: &P::BaseField) -> Affine<P> {
    if p.infinity {
        return *q;
    }
    if q.infinity {
        return *p;
    }
    let lambda = if p.x != q.x {
        (q.y - p.y) * inverse
    } else if p.y == q.y && !p.y.is_zero() {
        let x2 = p.x.square();
        (x2.double() + x2 + P::COEFF_A) * inverse
    } else {
        return Affine::identity();
    };
    let x = lambda.square() - p.x - q.x;
    let y = lambda * (p.x - x) - p.y;
    Affine::new_unchecked(x, y)
}

/// Inverts every non-zero element in place with one field inversion (zeros stay zero).
fn invert_all<F: Field>(v: &mut [F]) {
    let mut prefix = Vec::with_capacity(v.len());
    let mut acc = F::one();
    for x in v.iter() {
        prefix.push(acc);
        if !x.is_zero() {
            acc *= x;
        }
    }
    let mut inv = acc.inverse().expect("a product of non-zero elements");
    for (x, before) in v.iter_mut().zip(prefix).rev() {
        if !x.is_zero() {
            let next = inv * *x;
            *x = inv * before;
            inv = next;
        }
    }
}

/// Σ_k k·bucket[k−1]: the running-sum reduction of one bucket set.
pub(crate) fn reduce<P: SWCurveConfig>(buckets: &[Affine<P>]) -> Projective<P> {
    let (mut running, mut total) = (Projective::<P>::zero(), Projective::<P>::zero());
    for b in buckets.iter().rev() {
        running += b;
        total += running;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G1Projective};
    use ark_ec::{AffineRepr, CurveGroup};
    use ark_ff::UniformRand;
    use ark_std::test_rng;

    #[test]
    fn sums_each_bucket_including_doublings_and_cancellations() {
        let rng = &mut test_rng();
        let points: Vec<G1Affine> = (0..40).map(|_| G1Projective::rand(rng).into_affine()).collect();
        let mut entries = Vec::new();
        for i in 0..300usize {
            // Bucket 0 gets P0 and −P0 (cancels), bucket 1 the same point 7 times (doublings),
            // the rest a mix; bucket 5 stays empty.
            let (bucket, index, negate) = match i {
                0 | 1 => (0, 0, i == 1),
                2..=8 => (1, 3, false),
                _ => ([2, 3, 4, 6][i % 4], i % 40, i % 3 == 0),
            };
            entries.push(Entry { bucket, negate, index });
        }
        let mut buckets = vec![G1Affine::identity(); 7];
        buckets[3] = points[5]; // a bucket that already holds a sum
        let mut expected: Vec<G1Projective> = buckets.iter().map(|b| b.into_group()).collect();
        for e in &entries {
            let p = points[e.index].into_group();
            expected[e.bucket as usize] += if e.negate { -p } else { p };
        }
        let mut scratch = Scratch::default();
        accumulate(&mut buckets, &entries, &points, &mut scratch);
        for (b, e) in buckets.iter().zip(&expected) {
            assert_eq!(b.into_group(), *e);
        }
        assert!(buckets[0].infinity && buckets[5].infinity);
        assert_eq!(
            reduce(&buckets),
            expected.iter().enumerate().map(|(k, b)| *b * Fr(k as u64 + 1)).sum::<G1Projective>()
        );
    }

    #[allow(non_snake_case)]
    fn Fr(k: u64) -> ark_bn254::Fr {
        ark_bn254::Fr::from(k)
    }
}
