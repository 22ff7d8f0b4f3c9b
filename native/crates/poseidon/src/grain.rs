//! circomlib's Poseidon constants, derived as circomlib derived them: the reference Grain LFSR of
//! the Poseidon paper (hadeshash `generate_parameters_grain.sage`, run by circomlib as
//! `sage generate_parameters_grain.sage 1 0 254 t 8 R_P p`), round constants first, then the
//! Cauchy MDS matrix from the same stream. `tests/vectors.rs` checks the result against
//! circomlibjs' published vectors, and the TS specs against circomlibjs on random inputs.

use ark_bn254::Fr;
use ark_ff::{BigInteger, BigInteger256, Field, PrimeField};

/// The 80-bit Grain LFSR in self-shrinking mode, seeded with the instance's parameters.
struct Grain {
    state: [bool; 80],
}

impl Grain {
    fn new(t: usize, full_rounds: usize, partial_rounds: usize) -> Self {
        let mut state = [true; 80];
        let mut i = 0;
        // field = 1 (prime field, 2 bits), sbox = 0 (x^alpha, 4 bits), field size n = 254 (12 bits),
        // t (12 bits), R_F (10 bits), R_P (10 bits), then thirty 1 bits.
        for (value, width) in [(1, 2), (0, 4), (254, 12), (t, 12), (full_rounds, 10), (partial_rounds, 10)] {
            for b in (0..width).rev() {
                state[i] = (value >> b) & 1 == 1;
                i += 1;
            }
        }
        let mut grain = Self { state };
        for _ in 0..160 {
            grain.step();
        }
        grain
    }

    fn step(&mut self) -> bool {
        let s = &self.state;
        let bit = s[62] ^ s[51] ^ s[38] ^ s[23] ^ s[13] ^ s[0];
        self.state.copy_within(1.., 0);
        self.state[79] = bit;
        bit
    }

    /// One output bit: pairs of LFSR bits, the second kept when the first is 1.
    fn bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let value = self.step();
            if keep {
                return value;
            }
        }
    }

    /// 254 bits, most significant first.
    fn bits254(&mut self) -> BigInteger256 {
        let mut limbs = [0u64; 4];
        for i in (0..254).rev() {
            if self.bit() {
                limbs[i / 64] |= 1 << (i % 64);
            }
        }
        BigInteger256::new(limbs)
    }

    /// A field element by rejection: 254-bit draws at or above the modulus are drawn again.
    fn field_element(&mut self) -> Fr {
        loop {
            if let Some(x) = Fr::from_bigint(self.bits254()) {
                return x;
            }
        }
    }

    /// A 254-bit draw reduced modulo r (the script's `F(bits)` for the matrix).
    fn reduced(&mut self) -> Fr {
        Fr::from_le_bytes_mod_order(&self.bits254().to_bytes_le())
    }
}

/// Round constants (`(R_F + R_P) * t`, round-major) and the MDS matrix (`mds[i][j]` multiplies
/// `state[j]` into `state[i]`) of circomlib's Poseidon with `t` state elements.
pub fn constants(t: usize, full_rounds: usize, partial_rounds: usize) -> (Vec<Fr>, Vec<Vec<Fr>>) {
    let mut grain = Grain::new(t, full_rounds, partial_rounds);
    let round_constants = (0..(full_rounds + partial_rounds) * t).map(|_| grain.field_element()).collect();
    // The script draws 2t distinct elements x_0..x_{t-1}, y_0..y_{t-1} (drawing all again on a
    // repeat) and takes the Cauchy matrix 1 / (x_i + y_j).
    let draws = loop {
        let draws: Vec<Fr> = (0..2 * t).map(|_| grain.reduced()).collect();
        let distinct = (0..draws.len()).all(|i| !draws[..i].contains(&draws[i]));
        if distinct {
            break draws;
        }
    };
    let (xs, ys) = draws.split_at(t);
    let mds = xs
        .iter()
        .map(|x| {
            ys.iter()
                .map(|y| (*x + y).inverse().expect("x_i + y_j is never 0 for circomlib's draws"))
                .collect()
        })
        .collect();
    (round_constants, mds)
}
