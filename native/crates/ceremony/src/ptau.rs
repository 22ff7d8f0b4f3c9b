//! Writes a powers of tau prepared for phase 2, in snarkjs' .ptau layout, section by section:
//! 1 header, 2 tau^i·G1 (2^(p+1) − 1 points), 3 tau^i·G2, 4 alpha·tau^i·G1, 5 beta·tau^i·G1,
//! 6 beta·G2, 7 the contributions (one beacon), 12–15 the Lagrange-basis points for every domain
//! 2^0 … 2^p (2^(p+1) for section 12). The bytes are those `snarkjs powersoftau new`, `beacon` and
//! `prepare phase2` write for the same power and beacon (a test compares them).

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::scalar_mul::{BatchMulPreprocessing, ScalarMul};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, One, PrimeField};
use rayon::prelude::*;

use crate::beacon::{first_challenge, key_from_beacon, BeaconKey};
use crate::blake2b::Blake2b;
use crate::encode::*;
use crate::scalars::{lagrange, powers, Domain, MAX_DOMAIN_BITS};
use crate::{Beacon, CeremonyError, Progress, PtauSummary};

/// Points computed, encoded and written at a time (bounds the memory whatever the power).
const CHUNK: usize = 1 << 16;

/// A group of the file: its encodings and the piece size snarkjs hashes a section in.
trait PtauGroup {
    type Proj: ScalarMul<MulBase = Self::Affine> + PrimeGroup<ScalarField = Fr>;
    type Affine: Sync + Send;
    const LEM: usize;
    const COMPRESSED: usize;
    fn lem(p: &Self::Affine, out: &mut [u8]);
    fn compressed(p: &Self::Affine, out: &mut [u8]);
}

struct G1;
struct G2;

impl PtauGroup for G1 {
    type Proj = G1Projective;
    type Affine = G1Affine;
    const LEM: usize = G1_LEM;
    const COMPRESSED: usize = 32;
    fn lem(p: &G1Affine, out: &mut [u8]) {
        g1_lem(p, out)
    }
    fn compressed(p: &G1Affine, out: &mut [u8]) {
        g1_compressed(p, out)
    }
}

impl PtauGroup for G2 {
    type Proj = G2Projective;
    type Affine = G2Affine;
    const LEM: usize = G2_LEM;
    const COMPRESSED: usize = 64;
    fn lem(p: &G2Affine, out: &mut [u8]) {
        g2_lem(p, out)
    }
    fn compressed(p: &G2Affine, out: &mut [u8]) {
        g2_compressed(p, out)
    }
}

struct Writer<'a> {
    file: BufWriter<File>,
    done: u64,
    total: u64,
    progress: &'a mut dyn FnMut(Progress),
}

impl Writer<'_> {
    fn section_start(&mut self, id: u32, size: u64) -> Result<(), CeremonyError> {
        self.file.write_all(&id.to_le_bytes())?;
        self.file.write_all(&size.to_le_bytes())?;
        Ok(())
    }

    /// count points, scalar(start, len) times the table's base; with `response`, their compressed
    /// form is hashed in the pieces snarkjs' beacon hashes (2^20 bytes of LEM points each).
    fn points<G: PtauGroup>(
        &mut self,
        stage: &'static str,
        table: &BatchMulPreprocessing<G::Proj>,
        count: u64,
        scalars: impl Fn(u64, usize) -> Result<Vec<Fr>, CeremonyError>,
        mut response: Option<&mut Blake2b>,
    ) -> Result<(), CeremonyError> {
        let hash_piece = (1 << 20) / G::LEM;
        for start in (0..count).step_by(CHUNK) {
            let len = CHUNK.min((count - start) as usize);
            let points = table.batch_mul(&scalars(start, len)?);
            let mut lem = vec![0u8; len * G::LEM];
            lem.par_chunks_mut(G::LEM).zip(points.par_iter()).for_each(|(out, p)| G::lem(p, out));
            self.file.write_all(&lem)?;
            if let Some(hasher) = response.as_deref_mut() {
                let mut compressed = vec![0u8; len * G::COMPRESSED];
                compressed
                    .par_chunks_mut(G::COMPRESSED)
                    .zip(points.par_iter())
                    .for_each(|(out, p)| G::compressed(p, out));
                for piece in compressed.chunks(hash_piece * G::COMPRESSED) {
                    hasher.update(piece);
                }
            }
            self.done += len as u64;
            (self.progress)(Progress { stage, done: self.done, total: self.total });
        }
        Ok(())
    }
}

fn table<G: PtauGroup>(count: u64) -> BatchMulPreprocessing<G::Proj> {
    BatchMulPreprocessing::new(G::Proj::generator(), count as usize)
}

/// The Lagrange sections' domains: 2^0 … 2^power, and 2^(power+1) without its top point for tau·G1.
fn domains(power: u32, with_top_domain: bool) -> Vec<(Domain, u64)> {
    let mut out: Vec<_> = (0..=power).map(|bits| (Domain { bits, without_top: false }, 0u64)).collect();
    if with_top_domain {
        out.push((Domain { bits: power + 1, without_top: true }, 0));
    }
    let mut offset = 0;
    for (domain, start) in out.iter_mut() {
        *start = offset;
        offset += 1u64 << domain.bits;
    }
    out
}

/// Scalars of a Lagrange section, as one index range over its concatenated domains.
fn lagrange_section(
    tau: Fr,
    scale: Fr,
    parts: &[(Domain, u64)],
    start: u64,
    len: usize,
) -> Result<Vec<Fr>, CeremonyError> {
    let mut out = Vec::with_capacity(len);
    let end = start + len as u64;
    for (domain, offset) in parts {
        let size = 1u64 << domain.bits;
        let (from, to) = (start.max(*offset), end.min(offset + size));
        if from < to {
            out.extend(lagrange(tau, scale, *domain, from - offset, (to - from) as usize)?);
        }
    }
    Ok(out)
}

pub fn write(
    path: &Path,
    power: u32,
    beacon: &Beacon,
    progress: &mut dyn FnMut(Progress),
) -> Result<PtauSummary, CeremonyError> {
    if power == 0 || power >= MAX_DOMAIN_BITS {
        return Err(CeremonyError::InvalidPower(power));
    }
    if beacon.hash.is_empty() || beacon.hash.len() > 255 || beacon.iterations_exp > 63 {
        return Err(CeremonyError::InvalidBeacon);
    }
    let n = 1u64 << power;
    let challenge = first_challenge(power);
    let key = key_from_beacon(&challenge, &beacon.hash, beacon.iterations_exp);
    let (tau, alpha, beta) = (key.tau.secret, key.alpha.secret, key.beta.secret);

    let scratch = path.with_extension(format!("ptau.tmp-{}", std::process::id()));
    let total = (2 * n - 1) + 3 * n + 1 + (2 * n - 1) * 6 + (4 * n - 1) + (2 * n - 1);
    let mut w =
        Writer { file: BufWriter::with_capacity(1 << 22, File::create(&scratch)?), done: 0, total, progress };
    let result = (|| {
        // Magic, version, 11 sections; then the header (n8, q, power, ceremony power).
        w.file.write_all(b"ptau")?;
        w.file.write_all(&1u32.to_le_bytes())?;
        w.file.write_all(&11u32.to_le_bytes())?;
        w.section_start(1, 4 + 32 + 4 + 4)?;
        w.file.write_all(&32u32.to_le_bytes())?;
        w.file.write_all(&ark_bn254::Fq::MODULUS.to_bytes_le())?;
        w.file.write_all(&power.to_le_bytes())?;
        w.file.write_all(&power.to_le_bytes())?;

        let g1 = table::<G1>(4 * n - 1);
        let g2 = table::<G2>(2 * n - 1);
        let mut response = Blake2b::new();
        response.update(&challenge);
        let one = Fr::one();
        let sections_start = w.file.stream_position()?;
        w.section_start(2, (2 * n - 1) * 64)?;
        w.points::<G1>("tauG1", &g1, 2 * n - 1, |s, l| Ok(powers(tau, one, s, l)), Some(&mut response))?;
        w.section_start(3, n * 128)?;
        w.points::<G2>("tauG2", &g2, n, |s, l| Ok(powers(tau, one, s, l)), Some(&mut response))?;
        w.section_start(4, n * 64)?;
        w.points::<G1>("alphaTauG1", &g1, n, |s, l| Ok(powers(tau, alpha, s, l)), Some(&mut response))?;
        w.section_start(5, n * 64)?;
        w.points::<G1>("betaTauG1", &g1, n, |s, l| Ok(powers(tau, beta, s, l)), Some(&mut response))?;
        w.section_start(6, 128)?;
        w.points::<G2>("betaG2", &g2, 1, |_, _| Ok(vec![beta]), Some(&mut response))?;
        let partial_hash = response.partial_state();
        response.update(&key.uncompressed());
        let response_hash = response.digest();

        // The next challenge hashes the sections just written, uncompressed, read back.
        w.file.flush()?;
        let next_challenge = hash_written(&scratch, sections_start, n, &response_hash)?;
        let contribution = contribution_section(&key, &partial_hash, &next_challenge, beacon);
        w.section_start(7, contribution.len() as u64)?;
        w.file.write_all(&contribution)?;

        let g1_domains = domains(power, true);
        let domains = domains(power, false);
        w.section_start(12, (4 * n - 1) * 64)?;
        w.points::<G1>(
            "lagrangeTauG1",
            &g1,
            4 * n - 1,
            |s, l| lagrange_section(tau, one, &g1_domains, s, l),
            None,
        )?;
        w.section_start(13, (2 * n - 1) * 128)?;
        w.points::<G2>(
            "lagrangeTauG2",
            &g2,
            2 * n - 1,
            |s, l| lagrange_section(tau, one, &domains, s, l),
            None,
        )?;
        w.section_start(14, (2 * n - 1) * 64)?;
        w.points::<G1>(
            "lagrangeAlphaG1",
            &g1,
            2 * n - 1,
            |s, l| lagrange_section(tau, alpha, &domains, s, l),
            None,
        )?;
        w.section_start(15, (2 * n - 1) * 64)?;
        w.points::<G1>(
            "lagrangeBetaG1",
            &g1,
            2 * n - 1,
            |s, l| lagrange_section(tau, beta, &domains, s, l),
            None,
        )?;
        w.file.flush()?;
        w.file.get_ref().sync_all()?;
        Ok::<_, CeremonyError>((response_hash, next_challenge))
    })();
    drop(w);
    let (response_hash, next_challenge) = match result {
        Ok(hashes) => hashes,
        Err(error) => {
            let _ = fs::remove_file(&scratch);
            return Err(error);
        }
    };
    fs::rename(&scratch, path)?;
    Ok(PtauSummary {
        power,
        bytes: fs::metadata(path)?.len(),
        first_challenge: challenge,
        response_hash,
        next_challenge,
    })
}

/// blake2b(response hash, sections 2–6 as uncompressed points), read back from the file.
fn hash_written(
    path: &Path,
    sections_start: u64,
    n: u64,
    response_hash: &[u8; 64],
) -> Result<[u8; 64], CeremonyError> {
    let mut file = BufReader::with_capacity(1 << 22, File::open(path)?);
    file.seek(SeekFrom::Start(sections_start))?;
    let mut hasher = Blake2b::new();
    hasher.update(response_hash);
    for (is_g2, count) in [(false, 2 * n - 1), (true, n), (false, n), (false, n), (true, 1)] {
        file.seek(SeekFrom::Current(12))?; // section id and size
        let size = if is_g2 { G2_LEM } else { G1_LEM };
        let convert = if is_g2 { g2_lem_to_uncompressed } else { g1_lem_to_uncompressed };
        for start in (0..count).step_by(CHUNK) {
            let len = CHUNK.min((count - start) as usize);
            let mut lem = vec![0u8; len * size];
            file.read_exact(&mut lem)?;
            let mut uncompressed = vec![0u8; len * size];
            uncompressed.par_chunks_mut(size).zip(lem.par_chunks(size)).for_each(|(out, p)| convert(p, out));
            hasher.update(&uncompressed);
        }
    }
    Ok(hasher.digest())
}

/// Section 7: one contribution of type 1 (beacon), as snarkjs' writeContribution lays it out.
fn contribution_section(
    key: &BeaconKey,
    partial_hash: &[u8; 216],
    next_challenge: &[u8; 64],
    beacon: &Beacon,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&1u32.to_le_bytes());
    let g1 = |p: &G1Affine, out: &mut Vec<u8>| {
        let mut b = [0u8; 64];
        g1_lem(p, &mut b);
        out.extend_from_slice(&b);
    };
    let g2 = |p: &G2Affine, out: &mut Vec<u8>| {
        let mut b = [0u8; 128];
        g2_lem(p, &mut b);
        out.extend_from_slice(&b);
    };
    let times1 = |k: Fr| (G1Projective::generator() * k).into_affine();
    let times2 = |k: Fr| (G2Projective::generator() * k).into_affine();
    g1(&times1(key.tau.secret), &mut out);
    g2(&times2(key.tau.secret), &mut out);
    g1(&times1(key.alpha.secret), &mut out);
    g1(&times1(key.beta.secret), &mut out);
    g2(&times2(key.beta.secret), &mut out);
    for part in [&key.tau, &key.alpha, &key.beta] {
        g1(&part.g1_s, &mut out);
        g1(&part.g1_sx, &mut out);
    }
    for part in [&key.tau, &key.alpha, &key.beta] {
        g2(&part.g2_spx, &mut out);
    }
    out.extend_from_slice(partial_hash);
    out.extend_from_slice(next_challenge);
    out.extend_from_slice(&1u32.to_le_bytes()); // type: beacon
    let mut params = vec![1u8];
    let name: String = beacon.name.chars().take(64).collect();
    params.push(name.len() as u8);
    params.extend_from_slice(name.as_bytes());
    params.extend_from_slice(&[2, beacon.iterations_exp as u8, 3, beacon.hash.len() as u8]);
    params.extend_from_slice(&beacon.hash);
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    out.extend_from_slice(&params);
    out
}
