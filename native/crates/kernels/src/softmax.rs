//! The integer softmax: base-2 exponent from a table over the fractional bits and a shift by the
//! integer part (docs/model-format.md, `softmax`).

/// Over `[.., m, n]` rows: valid columns are all, or `c <= r` when causal (row r of its matrix).
/// For valid c: `d = mx − x_c`, `e = d >> k <= 15 ? table[d & (2^k − 1)] >> (d >> k) : 0`,
/// `S = Σ e`, `y = ⌊(510·e + S) / (2S)⌋`; masked columns are 0.
///
/// x is int8 or int16 (checked at build), so 0 <= d < 2^16; table values are in [1, 2^15], so
/// S >= table[0] >= 1 (the maximum's own e) and S <= n · 2^15, 510·e + S < 2^46: exact in i64.
pub fn softmax(m: usize, n: usize, causal: bool, frac_bits: u32, table: &[i32], x: &[i32]) -> Vec<i32> {
    let mask = (1i64 << frac_bits) - 1;
    let mut y = vec![0i32; x.len()];
    let mut e = vec![0i64; n];
    for (row, (xr, yr)) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)).enumerate() {
        let valid = if causal { row % m + 1 } else { n };
        let mx = xr[..valid].iter().copied().max().unwrap_or(0) as i64;
        let mut sum = 0i64;
        for (ec, xc) in e.iter_mut().zip(&xr[..valid]) {
            let d = mx - *xc as i64;
            let z = d >> frac_bits;
            *ec = if z <= 15 { (table[(d & mask) as usize] as i64) >> z } else { 0 };
            sum += *ec;
        }
        for (yc, ec) in yr.iter_mut().zip(&e[..valid]) {
            *yc = ((510 * ec + sum) / (2 * sum)) as i32;
        }
    }
    y
}
