//! The key snarkjs' `zkey new` followed by `zkey beacon` writes, computed in one pass:
//! - section order and contents of the beacon's output (1 header, 2 Groth header, 3 IC, 4
//!   coefficients, 5 A, 6 B1, 7 B2, 8 C, 9 H, 10 contributions);
//! - csHash: blake2b over the uncompressed points `zkey new` writes, in its order (header points,
//!   IC, the H hash points, C, A, B1, B2), each list after its length as a big-endian u32;
//! - the beacon: delta from ffjavascript's ChaCha seeded by the iterated sha256 of the beacon
//!   hash, C and H times 1/delta, the contribution record with its transcript.

use std::path::Path;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, Field, PrimeField};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use verilay_ceremony::blake2b::Blake2b;
use verilay_ceremony::encode::{g1_lem, g1_uncompressed, g2_lem, g2_uncompressed};
use verilay_ceremony::rng::{fr_from_rng, g1_from_rng, g1_times, g2_from_rng, g2_times, ChaCha};

use crate::binfile::{u32_at, BinFile, Section};
use crate::points::{decode_all, g1_from_lem, g2_from_lem, scale, weighted_sums, Coef, Entry};
use crate::r1cs::R1cs;
use crate::{Progress, SetupError, ZkeyBeacon, ZkeySummary};

const G1_SIZE: u64 = 64;
const G2_SIZE: u64 = 128;
/// snarkjs hashes the H points in chunks of this many (zkey_new.js hashHPoints).
const H_HASH_CHUNK: u64 = 1 << 14;

/// ffjavascript's `log2`: the index of the highest set bit (0 for 0).
fn log2(v: u64) -> u32 {
    63u32.saturating_sub(v.leading_zeros())
}

struct Ptau {
    file: BinFile,
    power: u32,
}

impl Ptau {
    fn open(path: &Path) -> Result<Self, SetupError> {
        let mut file = BinFile::open(path, b"ptau", "ptau")?;
        let header = file.section(1)?;
        let bytes = file.read_in(header, 0, header.size.min(256))?;
        let n8 = u32_at(&bytes, 0)? as usize;
        let q = bytes.get(4..4 + n8).ok_or_else(|| SetupError::Truncated("ptau: header".into()))?;
        if n8 != 32 || q != ark_bn254::Fq::MODULUS.to_bytes_le().as_slice() {
            return Err(SetupError::WrongCurve);
        }
        let power = u32_at(&bytes, 4 + n8)?;
        if file.section(12).is_err() {
            return Err(SetupError::NotPrepared);
        }
        Ok(Self { file, power })
    }

    fn g1s(&mut self, section: u32, first: u64, count: u64) -> Result<Vec<G1Affine>, SetupError> {
        let s = self.file.section(section)?;
        let bytes = self.file.read_in(s, first * G1_SIZE, count * G1_SIZE)?;
        decode_all(&bytes, G1_SIZE as usize, g1_from_lem)
    }

    fn g2s(&mut self, section: u32, first: u64, count: u64) -> Result<Vec<G2Affine>, SetupError> {
        let s = self.file.section(section)?;
        let bytes = self.file.read_in(s, first * G2_SIZE, count * G2_SIZE)?;
        decode_all(&bytes, G2_SIZE as usize, g2_from_lem)
    }
}

/// A growing file image with iden3's section framing.
struct Out(Vec<u8>);

impl Out {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn section(&mut self, id: u32, body: impl FnOnce(&mut Out)) {
        self.u32(id);
        let at = self.0.len();
        self.0.extend_from_slice(&[0; 8]);
        body(self);
        let size = (self.0.len() - at - 8) as u64;
        self.0[at..at + 8].copy_from_slice(&size.to_le_bytes());
    }
    fn g1s(&mut self, points: &[G1Affine]) {
        let at = self.0.len();
        self.0.resize(at + points.len() * 64, 0);
        self.0[at..].par_chunks_mut(64).zip(points.par_iter()).for_each(|(o, p)| g1_lem(p, o));
    }
    fn g2s(&mut self, points: &[G2Affine]) {
        let at = self.0.len();
        self.0.resize(at + points.len() * 128, 0);
        self.0[at..].par_chunks_mut(128).zip(points.par_iter()).for_each(|(o, p)| g2_lem(p, o));
    }
}

fn hash_u32(h: &mut Blake2b, v: u32) {
    h.update(&v.to_be_bytes());
}

fn hash_g1s(h: &mut Blake2b, points: &[G1Affine]) {
    let mut buf = vec![0u8; points.len() * 64];
    buf.par_chunks_mut(64).zip(points.par_iter()).for_each(|(o, p)| g1_uncompressed(p, o));
    h.update(&buf);
}

fn hash_g2s(h: &mut Blake2b, points: &[G2Affine]) {
    let mut buf = vec![0u8; points.len() * 128];
    buf.par_chunks_mut(128).zip(points.par_iter()).for_each(|(o, p)| g2_uncompressed(p, o));
    h.update(&buf);
}

fn g1u(p: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    g1_uncompressed(p, &mut out);
    out
}

fn g2u(p: &G2Affine) -> [u8; 128] {
    let mut out = [0u8; 128];
    g2_uncompressed(p, &mut out);
    out
}

/// The terms of every key point, grouped by signal (zkey_new.js processConstraints).
struct Lists {
    coefs: Vec<Coef>,
    /// A (table 0: tau·G1 Lagrange).
    a: Vec<Vec<Entry>>,
    /// B1 and B2 (table 0: tau·G1 resp. tau·G2 Lagrange).
    b: Vec<Vec<Entry>>,
    /// IC then C, one list per signal (tables 0 tau, 1 alpha·tau, 2 beta·tau Lagrange).
    l: Vec<Vec<Entry>>,
    /// The coefficient section: (matrix, constraint, signal, coefficient id).
    section4: Vec<(u32, u32, u32, u32)>,
}

fn lists(r1cs: &R1cs) -> Lists {
    let n = r1cs.n_vars as usize;
    let mut out = Lists {
        coefs: vec![Coef::ONE],
        a: vec![vec![]; n],
        b: vec![vec![]; n],
        l: vec![vec![]; n],
        section4: vec![],
    };
    for (c, [a, b, cc]) in r1cs.constraints.iter().enumerate() {
        let index = c as u32;
        for (matrix, lc) in [(0u32, a), (1, b), (2, cc)] {
            for t in lc {
                let coef = out.coefs.len() as u32;
                out.coefs.push(Coef::from_le(&t.coef));
                let s = t.signal as usize;
                let l_table = [2u8, 1, 0][matrix as usize];
                out.l[s].push(Entry { table: l_table, index, coef });
                match matrix {
                    0 => out.a[s].push(Entry { table: 0, index, coef }),
                    1 => out.b[s].push(Entry { table: 0, index, coef }),
                    _ => {}
                }
                if matrix < 2 {
                    out.section4.push((matrix, index, t.signal, coef));
                }
            }
        }
    }
    // Each public signal (and the constant) gets a row of its own: A_s(tau) gains L_{n+s}(tau).
    let n_constraints = r1cs.constraints.len() as u32;
    for s in 0..=r1cs.n_public {
        let index = n_constraints + s;
        out.a[s as usize].push(Entry { table: 0, index, coef: 0 });
        out.l[s as usize].push(Entry { table: 2, index, coef: 0 });
        out.section4.push((0, index, s, 0));
    }
    out
}

/// snarkjs writes each coefficient c as c·R² mod r (R = 2^256), canonical, little-endian: the
/// prover reads the section as Montgomery forms.
fn coef_r2(coef: Option<&[u8; 32]>, r2: Fr) -> [u8; 32] {
    let c = coef.map_or(Fr::from(1u64), |b| Fr::from_le_bytes_mod_order(b));
    (c * r2).into_bigint().to_bytes_le().try_into().expect("32 bytes")
}

pub fn write(
    r1cs: &R1cs,
    ptau_path: &Path,
    zkey_path: &Path,
    beacon: &ZkeyBeacon,
    overread: Option<&[u8; 64]>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ZkeySummary, SetupError> {
    beacon.check()?;
    let mut ptau = Ptau::open(ptau_path)?;
    let n_public = r1cs.n_public as u64;
    let n_constraints = r1cs.constraints.len() as u64;
    let cir_power = log2(n_constraints + n_public) + 1;
    if cir_power > ptau.power {
        return Err(SetupError::CeremonyTooSmall { constraints: n_constraints, power: ptau.power });
    }
    let n = 1u64 << cir_power;
    let mut step = |stage: &'static str, done: u64| progress(Progress { stage, done, total: 6 });

    // Bases: the Lagrange points of the circuit's domain (levels of sections 12..15 start at
    // 2^p - 1) and H's: the odd points of the domain twice as large.
    step("reading the powers of tau", 0);
    let tau1 = ptau.g1s(12, n - 1, n)?;
    let tau2 = ptau.g2s(13, n - 1, n)?;
    let alpha1 = ptau.g1s(14, n - 1, n)?;
    let beta1 = ptau.g1s(15, n - 1, n)?;
    let h_all = ptau.g1s(12, 2 * n - 1, 2 * n)?;
    let h: Vec<G1Affine> = h_all.into_iter().skip(1).step_by(2).collect();
    let alpha = ptau.g1s(4, 0, 1)?[0];
    let beta_g1 = ptau.g1s(5, 0, 1)?[0];
    let beta_g2 = ptau.g2s(6, 0, 1)?[0];
    let h_hash = h_hash_points(&mut ptau, n, overread)?;

    step("summing the key points", 1);
    let lists = lists(r1cs);
    let split = r1cs.n_public as usize + 1;
    let l_points = weighted_sums(&lists.l, &[&tau1, &alpha1, &beta1], &lists.coefs);
    let (ic, c) = l_points.split_at(split);
    let a = weighted_sums(&lists.a, &[&tau1], &lists.coefs);
    let b1 = weighted_sums(&lists.b, &[&tau1], &lists.coefs);
    step("summing B2 in G2", 2);
    let b2 = weighted_sums(&lists.b, &[&tau2], &lists.coefs);

    // csHash, as zkey new computes it (its deltas still the generators).
    step("hashing the circuit", 3);
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let mut cs = Blake2b::new();
    cs.update(&g1u(&alpha)).update(&g1u(&beta_g1)).update(&g2u(&beta_g2));
    cs.update(&g2u(&g2)).update(&g1u(&g1)).update(&g2u(&g2));
    hash_u32(&mut cs, ic.len() as u32);
    hash_g1s(&mut cs, ic);
    hash_u32(&mut cs, (n - 1) as u32);
    cs.update(&h_hash);
    for (points, len) in [(c, c.len()), (&a[..], a.len()), (&b1[..], b1.len())] {
        hash_u32(&mut cs, len as u32);
        hash_g1s(&mut cs, points);
    }
    hash_u32(&mut cs, b2.len() as u32);
    hash_g2s(&mut cs, &b2);
    let cs_hash = cs.digest();

    step("applying the beacon", 4);
    let delta = Delta::derive(&cs_hash, beacon);
    let inv_delta = delta.secret.inverse().expect("a beacon's delta is never zero");
    let c_final = scale(c, inv_delta);
    let h_final = scale(&h, inv_delta);
    let delta1 = (G1Projective::generator() * delta.secret).into_affine();
    let delta2 = (G2Projective::generator() * delta.secret).into_affine();

    step("writing the key", 5);
    let mut out = Out(Vec::with_capacity((n as usize) * 64 + r1cs.n_vars as usize * 384 + (1 << 16)));
    out.0.extend_from_slice(b"zkey");
    out.u32(1);
    out.u32(10);
    out.section(1, |o| o.u32(1));
    out.section(2, |o| {
        o.u32(32);
        o.0.extend_from_slice(&ark_bn254::Fq::MODULUS.to_bytes_le());
        o.u32(32);
        o.0.extend_from_slice(&Fr::MODULUS.to_bytes_le());
        o.u32(r1cs.n_vars);
        o.u32(r1cs.n_public);
        o.u32(n as u32);
        o.g1s(&[alpha, beta_g1]);
        o.g2s(&[beta_g2, g2]);
        o.g1s(&[delta1]);
        o.g2s(&[delta2]);
    });
    out.section(3, |o| o.g1s(ic));
    out.section(4, |o| {
        o.u32(lists.section4.len() as u32);
        let r2 = Fr::from(2u64).pow([512]);
        let raw: Vec<[u8; 32]> =
            r1cs.constraints.iter().flat_map(|lcs| lcs.iter().flatten().map(|t| t.coef)).collect();
        for (matrix, constraint, signal, coef) in &lists.section4 {
            o.u32(*matrix);
            o.u32(*constraint);
            o.u32(*signal);
            let bytes = if *coef == 0 { None } else { Some(&raw[*coef as usize - 1]) };
            o.0.extend_from_slice(&coef_r2(bytes, r2));
        }
    });
    out.section(5, |o| o.g1s(&a));
    out.section(6, |o| o.g1s(&b1));
    out.section(7, |o| o.g2s(&b2));
    out.section(8, |o| o.g1s(&c_final));
    out.section(9, |o| o.g1s(&h_final));
    out.section(10, |o| {
        o.0.extend_from_slice(&cs_hash);
        o.u32(1);
        delta.write_contribution(o, &delta1, beacon);
    });

    let scratch = zkey_path.with_extension(format!("zkey.tmp-{}", std::process::id()));
    std::fs::write(&scratch, &out.0).map_err(|e| SetupError::Io(format!("{}: {e}", scratch.display())))?;
    std::fs::rename(&scratch, zkey_path)
        .map_err(|e| SetupError::Io(format!("{}: {e}", zkey_path.display())))?;
    step("done", 6);
    Ok(ZkeySummary {
        bytes: out.0.len() as u64,
        domain_size: n,
        cs_hash,
        contribution_hash: delta.contribution_hash(&delta1),
    })
}

/// The points zkey new hashes for H, uncompressed: tau^i·(tau^n − 1)·G1 = tauG1[i + n] − tauG1[i].
/// snarkjs hashes them in chunks of min(n − 1, 2^14) points (not the remainder), so past 2^14 it
/// hashes n points, not n − 1; when the domain is the ceremony's own size, the last one reads 64
/// bytes past the tau·G1 section (the next section's header and first bytes), which its wasm field
/// code, given coordinates past the modulus, turns into bytes only that code reproduces: the
/// caller passes them (`overread`, computed with ffjavascript). csHash is in the key.
fn h_hash_points(ptau: &mut Ptau, n: u64, overread: Option<&[u8; 64]>) -> Result<Vec<u8>, SetupError> {
    let count = if n <= 1 { 0 } else { (n - 1).div_ceil(H_HASH_CHUNK) * (n - 1).min(H_HASH_CHUNK) };
    let section: Section = ptau.file.section(2)?;
    let in_section = (section.size / G1_SIZE).saturating_sub(n).min(count);
    let low = ptau.g1s(2, 0, in_section)?;
    let high = ptau.g1s(2, n, in_section)?;
    let diffs: Vec<G1Projective> =
        high.par_iter().zip(low.par_iter()).map(|(hi, lo)| hi.into_group() - lo).collect();
    let mut out = vec![0u8; count as usize * 64];
    let affine = G1Projective::normalize_batch(&diffs);
    out.par_chunks_mut(64).zip(affine.par_iter()).for_each(|(o, p)| g1_uncompressed(p, o));
    // At most one point lies past the section: it holds 2^(power+1) − 1 points and n ≤ 2^power.
    if count > in_section {
        let bytes = overread.ok_or(SetupError::OverreadPointNeeded)?;
        out[in_section as usize * 64..].copy_from_slice(bytes);
    }
    Ok(out)
}

/// The beacon's contribution (zkey_beacon.js): its secret delta and proof of knowledge.
struct Delta {
    secret: Fr,
    g1_s: G1Affine,
    g1_sx: G1Affine,
    g2_spx: G2Affine,
    transcript: [u8; 64],
}

impl Delta {
    fn derive(cs_hash: &[u8; 64], beacon: &ZkeyBeacon) -> Self {
        let mut hash = beacon.hash.clone();
        for _ in 0..(1u64 << beacon.iterations_exp) {
            hash = Sha256::digest(&hash).to_vec();
        }
        let mut rng = ChaCha::from_hash(&hash);
        let secret = fr_from_rng(&mut rng);
        let g1_s = g1_from_rng(&mut rng);
        let g1_sx = g1_times(&g1_s, secret);
        let mut t = Blake2b::new();
        t.update(cs_hash).update(&g1u(&g1_s)).update(&g1u(&g1_sx));
        let transcript = t.digest();
        let g2_sp = g2_from_rng(&mut ChaCha::from_hash(&transcript));
        let g2_spx = g2_times(&g2_sp, secret);
        Self { secret, g1_s, g1_sx, g2_spx, transcript }
    }

    fn write_contribution(&self, o: &mut Out, delta_after: &G1Affine, beacon: &ZkeyBeacon) {
        o.g1s(&[*delta_after, self.g1_s, self.g1_sx]);
        o.g2s(&[self.g2_spx]);
        o.0.extend_from_slice(&self.transcript);
        o.u32(1); // type: beacon
        let mut params = vec![];
        let name = js_name(&beacon.name);
        if !name.is_empty() {
            params.push(1u8);
            params.push(name.len() as u8);
            params.extend_from_slice(&name);
        }
        params.extend_from_slice(&[2, beacon.iterations_exp as u8, 3, beacon.hash.len() as u8]);
        params.extend_from_slice(&beacon.hash);
        o.u32(params.len() as u32);
        o.0.extend_from_slice(&params);
    }

    /// The hash snarkjs prints as the contribution hash.
    fn contribution_hash(&self, delta_after: &G1Affine) -> [u8; 64] {
        let mut h = Blake2b::new();
        h.update(&g1u(delta_after)).update(&g1u(&self.g1_s)).update(&g1u(&self.g1_sx));
        h.update(&g2u(&self.g2_spx)).update(&self.transcript);
        h.digest()
    }
}

/// `new TextEncoder().encode(name.substring(0, 64))`: the first 64 UTF-16 code units as UTF-8 (a
/// pair cut in half leaves a lone surrogate, which TextEncoder writes as U+FFFD).
fn js_name(name: &str) -> Vec<u8> {
    let mut out = String::new();
    let mut units = 0;
    for ch in name.chars() {
        let len = ch.len_utf16();
        if units + len > 64 {
            if units < 64 {
                out.push('\u{FFFD}');
            }
            break;
        }
        units += len;
        out.push(ch);
    }
    out.into_bytes()
}
