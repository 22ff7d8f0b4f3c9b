//! The one contribution of a development powers of tau: a beacon (snarkjs `powersoftau beacon`),
//! so its keys, tau, alpha and beta, follow from public values: the challenge of a fresh file of
//! that power, the beacon hash and the iteration count. Anyone can rederive them; that is the point
//! (development only) and what lets `snarkjs powersoftau verify` check the contribution.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use sha2::{Digest, Sha256};

use crate::blake2b::Blake2b;
use crate::encode::{g1_uncompressed, g2_uncompressed};
use crate::rng::{fr_from_rng, g1_from_rng, g1_times, g2_from_rng, g2_times, ChaCha};

/// One of the three keys (tau, alpha, beta) and its proof of knowledge.
#[derive(Clone, Debug)]
pub struct KeyPart {
    pub secret: Fr,
    pub g1_s: G1Affine,
    pub g1_sx: G1Affine,
    pub g2_sp: G2Affine,
    pub g2_spx: G2Affine,
}

#[derive(Clone, Debug)]
pub struct BeaconKey {
    pub tau: KeyPart,
    pub alpha: KeyPart,
    pub beta: KeyPart,
}

impl BeaconKey {
    /// The public key as snarkjs hashes it into the response (uncompressed points).
    pub fn uncompressed(&self) -> Vec<u8> {
        let mut out = vec![0u8; 64 * 6 + 128 * 3];
        let g1s = [
            &self.tau.g1_s,
            &self.tau.g1_sx,
            &self.alpha.g1_s,
            &self.alpha.g1_sx,
            &self.beta.g1_s,
            &self.beta.g1_sx,
        ];
        for (i, p) in g1s.iter().enumerate() {
            g1_uncompressed(p, &mut out[i * 64..]);
        }
        for (i, p) in [&self.tau.g2_spx, &self.alpha.g2_spx, &self.beta.g2_spx].iter().enumerate() {
            g2_uncompressed(p, &mut out[384 + i * 128..]);
        }
        out
    }
}

/// snarkjs' `calculateFirstChallengeHash`: the challenge of a fresh file (every point the
/// generator) of the given power.
pub fn first_challenge(power: u32) -> [u8; 64] {
    let mut g1 = [0u8; 64];
    let mut g2 = [0u8; 128];
    g1_uncompressed(&G1Affine::generator(), &mut g1);
    g2_uncompressed(&G2Affine::generator(), &mut g2);
    let mut hasher = Blake2b::new();
    hasher.update(&Blake2b::new().digest());
    let n = 1u64 << power;
    repeat(&mut hasher, &g1, 2 * n - 1);
    repeat(&mut hasher, &g2, n);
    repeat(&mut hasher, &g1, n);
    repeat(&mut hasher, &g1, n);
    hasher.update(&g2);
    hasher.digest()
}

fn repeat(hasher: &mut Blake2b, item: &[u8], times: u64) {
    const PER_UPDATE: u64 = 1024;
    let block = item.repeat(PER_UPDATE as usize);
    for _ in 0..times / PER_UPDATE {
        hasher.update(&block);
    }
    hasher.update(&block[..(times % PER_UPDATE) as usize * item.len()]);
}

/// snarkjs' `keyFromBeacon`: sha256 iterated 2^iterations_exp times over the beacon hash seeds
/// ffjavascript's ChaCha, which draws the three secrets and then each proof of knowledge.
pub fn key_from_beacon(challenge: &[u8; 64], beacon_hash: &[u8], iterations_exp: u32) -> BeaconKey {
    let mut hash = beacon_hash.to_vec();
    for _ in 0..(1u64 << iterations_exp) {
        hash = Sha256::digest(&hash).to_vec();
    }
    let mut rng = ChaCha::from_hash(&hash);
    let secrets = [fr_from_rng(&mut rng), fr_from_rng(&mut rng), fr_from_rng(&mut rng)];
    let mut parts = secrets.iter().enumerate().map(|(personalization, secret)| {
        let g1_s = g1_from_rng(&mut rng);
        let g1_sx = g1_times(&g1_s, *secret);
        let g2_sp = hash_to_g2(personalization as u8, challenge, &g1_s, &g1_sx);
        let g2_spx = g2_times(&g2_sp, *secret);
        KeyPart { secret: *secret, g1_s, g1_sx, g2_sp, g2_spx }
    });
    let (tau, alpha, beta) = (parts.next(), parts.next(), parts.next());
    BeaconKey { tau: tau.expect("three"), alpha: alpha.expect("three"), beta: beta.expect("three") }
}

/// snarkjs' `getG2sp`: a G2 point from blake2b(personalization, challenge, g1_s, g1_sx).
pub fn hash_to_g2(personalization: u8, challenge: &[u8], g1_s: &G1Affine, g1_sx: &G1Affine) -> G2Affine {
    let (mut s, mut sx) = ([0u8; 64], [0u8; 64]);
    g1_uncompressed(g1_s, &mut s);
    g1_uncompressed(g1_sx, &mut sx);
    let mut hasher = Blake2b::new();
    hasher.update(&[personalization]).update(challenge).update(&s).update(&sx);
    g2_from_rng(&mut ChaCha::from_hash(&hasher.digest()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Bn254;
    use ark_ec::pairing::Pairing;

    #[test]
    fn each_proof_of_knowledge_has_the_same_ratio_in_both_groups() {
        let key = key_from_beacon(&first_challenge(3), &[0xab; 32], 2);
        for part in [&key.tau, &key.alpha, &key.beta] {
            assert_eq!(Bn254::pairing(part.g1_s, part.g2_spx), Bn254::pairing(part.g1_sx, part.g2_sp));
        }
        assert_ne!(key.tau.secret, key.alpha.secret);
    }

    #[test]
    fn the_first_challenge_depends_on_the_power() {
        assert_ne!(first_challenge(2), first_challenge(3));
    }
}
