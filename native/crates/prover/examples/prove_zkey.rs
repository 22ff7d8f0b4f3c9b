//! Times the prover on a built circuit, whole proofs and then each step alone (wall and process
//! CPU time, all threads): `cargo run --release --example prove_zkey -- <zkey> <wtns> [runs]`.
use std::time::Instant;

use ark_ff::PrimeField;
use verilay_prover::msm::msm;
use verilay_prover::{read_witness, Prover};

/// CPU time of the whole process (every thread), in ms.
fn cpu_ms() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let (t, c) = (Instant::now(), cpu_ms());
    let out = f();
    println!("{what:>12} {:7.1} ms wall {:7.1} ms cpu", t.elapsed().as_secs_f64() * 1e3, cpu_ms() - c);
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let zkey = std::fs::read(&args[1]).expect("zkey");
    let wtns = std::fs::read(&args[2]).expect("wtns");
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(5);
    let prover = timed("load", || Prover::from_zkey(&zkey).expect("key"));
    for _ in 0..runs {
        timed("prove", || prover.prove_bytes(&wtns).expect("proof"));
    }
    let key = &prover.key;
    for _ in 0..2 {
        let witness = timed("read wtns", || read_witness(&wtns, key.n_vars).expect("witness"));
        let h = timed("witness map", || prover.h_scalars(&witness));
        let w: Vec<_> = timed("into_bigint", || witness.iter().map(|x| x.into_bigint()).collect());
        let _ = timed("A", || msm(&key.a, &w));
        let _ = timed("B1", || msm(&key.b1, &w));
        let _ = timed("B2", || msm(&key.b2, &w));
        let _ = timed("C", || msm(&key.c, &w[key.n_public + 1..]));
        let _ = timed("H", || prover.h.msm(&h));
        let out = prover.prove(&witness).expect("proof");
        timed("verify", || assert!(prover.verify(&out.proof, &out.public_signals)));
    }
}
