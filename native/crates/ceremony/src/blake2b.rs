//! BLAKE2b-512 that buffers input the way @noble/hashes does (the last full block waits for more
//! input, whole aligned blocks skip the buffer), so that its internal state, which snarkjs
//! stores in a contribution as `partialHash` (216 bytes, misc.toPartialHash), is byte for byte the
//! one snarkjs would store after the same sequence of `update` calls.

const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

const BLOCK: usize = 128;

#[derive(Clone)]
pub struct Blake2b {
    h: [u64; 8],
    buffer: [u8; BLOCK],
    /// Bytes taken in so far, including those still in the buffer (noble's `length`).
    length: u64,
    /// Bytes of the buffer in use (noble's `pos`).
    pos: usize,
}

impl Default for Blake2b {
    fn default() -> Self {
        Self::new()
    }
}

impl Blake2b {
    /// An unkeyed BLAKE2b with a 64-byte digest.
    pub fn new() -> Self {
        let mut h = IV;
        h[0] ^= 0x0101_0000 ^ 64;
        Self { h, buffer: [0; BLOCK], length: 0, pos: 0 }
    }

    pub fn update(&mut self, data: &[u8]) -> &mut Self {
        let mut at = 0;
        while at < data.len() {
            if self.pos == BLOCK {
                let block = self.buffer;
                self.compress(&block, false);
                self.pos = 0;
            }
            let take = (BLOCK - self.pos).min(data.len() - at);
            // noble compresses whole blocks straight from the input (the buffer keeps its old
            // bytes) while more input follows; our input is always 4-byte aligned, as snarkjs'.
            if take == BLOCK && at + take < data.len() {
                while at + BLOCK < data.len() {
                    self.length += BLOCK as u64;
                    let block: [u8; BLOCK] = data[at..at + BLOCK].try_into().expect("one block");
                    self.compress(&block, false);
                    at += BLOCK;
                }
                continue;
            }
            self.buffer[self.pos..self.pos + take].copy_from_slice(&data[at..at + take]);
            self.pos += take;
            self.length += take as u64;
            at += take;
        }
        self
    }

    pub fn digest(mut self) -> [u8; 64] {
        self.buffer[self.pos..].fill(0);
        let block = self.buffer;
        self.compress(&block, true);
        let mut out = [0u8; 64];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.h.iter()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// snarkjs' `toPartialHash`: the 128-byte buffer, the eight state words (low and high halves,
    /// little-endian), then length − pos and pos as 64-bit little-endian counts.
    pub fn partial_state(&self) -> [u8; 216] {
        let mut out = [0u8; 216];
        out[..BLOCK].copy_from_slice(&self.buffer);
        for (i, word) in self.h.iter().enumerate() {
            out[BLOCK + i * 8..BLOCK + i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        // snarkjs writes only the low 32-bit words of both counts (res32[16], res32[18]).
        let done = (self.length - self.pos as u64) as u32;
        out[192..196].copy_from_slice(&done.to_le_bytes());
        out[200..204].copy_from_slice(&(self.pos as u32).to_le_bytes());
        out
    }

    fn compress(&mut self, block: &[u8; BLOCK], last: bool) {
        let mut m = [0u64; 16];
        for (word, bytes) in m.iter_mut().zip(block.chunks_exact(8)) {
            *word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        }
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(&self.h);
        v[8..].copy_from_slice(&IV);
        v[12] ^= self.length;
        // The high word of the 128-bit counter stays zero below 2^64 bytes.
        if last {
            v[14] = !v[14];
        }
        for s in SIGMA.iter() {
            mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            self.h[i] ^= v[i] ^ v[i + 8];
        }
    }
}

fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn digests_the_rfc_7693_vector() {
        let mut h = Blake2b::new();
        h.update(b"abc");
        assert_eq!(
            hex(&h.digest()),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
             7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
    }

    #[test]
    fn the_digest_does_not_depend_on_how_the_input_is_cut() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut whole = Blake2b::new();
        whole.update(&data);
        let mut cut = Blake2b::new();
        for piece in data.chunks(333) {
            cut.update(piece);
        }
        assert_eq!(whole.digest(), cut.digest());
        let mut empty_then = Blake2b::new();
        empty_then.update(&[]).update(&data[..128]).update(&data[128..]);
        let mut again = Blake2b::new();
        again.update(&data);
        assert_eq!(empty_then.digest(), again.digest());
    }

    #[test]
    fn a_resumed_partial_state_counts_what_it_took() {
        let mut h = Blake2b::new();
        h.update(&[7u8; 300]);
        let state = h.partial_state();
        let done = u32::from_le_bytes(state[192..196].try_into().unwrap()) as u64;
        let pos = u32::from_le_bytes(state[200..204].try_into().unwrap()) as u64;
        assert_eq!(done + pos, 300);
        assert_eq!(pos, 44); // 256 compressed, 44 waiting
    }
}
