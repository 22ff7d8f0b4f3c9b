//! `cargo run --release -p verilay-ceremony --example write-ptau -- <power> <out.ptau>`: writes the
//! development powers of tau (the same file `verilay ptau --power N` writes through the addon).
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let power: u32 = args.get(1).and_then(|p| p.parse().ok()).expect("usage: write-ptau <power> <out>");
    let out = args.get(2).expect("usage: write-ptau <power> <out>");
    let start = std::time::Instant::now();
    let mut last = 0;
    let summary = verilay_ceremony::write_ptau(
        Path::new(out),
        power,
        &verilay_ceremony::Beacon::development(),
        &mut |p| {
            let pct = p.done * 100 / p.total;
            if pct >= last + 10 {
                last = pct;
                eprintln!("{:>6.1} s {:>3}% {}", start.elapsed().as_secs_f64(), pct, p.stage);
            }
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("2^{} in {:.1} s: {} bytes", summary.power, start.elapsed().as_secs_f64(), summary.bytes);
}
