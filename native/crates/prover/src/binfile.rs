//! iden3's binary container (what snarkjs writes .zkey and .wtns in): a 4-byte magic, a u32
//! version, a u32 section count, then sections of (u32 type, u64 byte length, bytes), all
//! little-endian. Every length is checked against the bytes at hand before it is used.

/// A little-endian reader over a byte slice that fails (never panics) past its end.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| {
            format!("needs {n} more bytes at offset {}, has {}", self.pos, self.bytes.len() - self.pos)
        })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
}

/// The sections of a container, by type.
pub struct BinFile<'a> {
    sections: Vec<(u32, &'a [u8])>,
}

impl<'a> BinFile<'a> {
    /// Reads the container's table of sections; `magic` names the file type ("zkey", "wtns").
    pub fn parse(bytes: &'a [u8], magic: &[u8; 4]) -> Result<Self, String> {
        let mut r = Reader::new(bytes);
        let found = r.take(4).map_err(|_| format!("{} bytes: too short for a file header", bytes.len()))?;
        if found != magic {
            return Err(format!(
                "starts with {:?}, not the \"{}\" magic",
                String::from_utf8_lossy(found),
                String::from_utf8_lossy(magic)
            ));
        }
        let _version = r.u32()?;
        let count = r.u32()?;
        let mut sections = Vec::new();
        for _ in 0..count {
            let kind = r.u32().map_err(|e| format!("section table: {e}"))?;
            let len = r.u64().map_err(|e| format!("section table: {e}"))?;
            let len = usize::try_from(len).map_err(|_| format!("section {kind}: length {len} too large"))?;
            let data = r.take(len).map_err(|e| format!("section {kind} is truncated: {e}"))?;
            sections.push((kind, data));
        }
        Ok(BinFile { sections })
    }

    /// The one section of type `kind` (snarkjs refuses a file that has it twice, and so do we).
    pub fn section(&self, kind: u32) -> Result<&'a [u8], String> {
        let mut found = self.sections.iter().filter(|(k, _)| *k == kind);
        match (found.next(), found.next()) {
            (Some((_, data)), None) => Ok(data),
            (None, _) => Err(format!("section {kind} is missing")),
            (Some(_), Some(_)) => Err(format!("section {kind} appears more than once")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(magic: &[u8; 4], sections: &[(u32, &[u8])]) -> Vec<u8> {
        let mut out = magic.to_vec();
        out.extend(1u32.to_le_bytes());
        out.extend((sections.len() as u32).to_le_bytes());
        for (kind, data) in sections {
            out.extend(kind.to_le_bytes());
            out.extend((data.len() as u64).to_le_bytes());
            out.extend(*data);
        }
        out
    }

    #[test]
    fn reads_sections_by_type() {
        let bytes = file(b"zkey", &[(2, b"bb"), (1, b"a")]);
        let bin = BinFile::parse(&bytes, b"zkey").unwrap();
        assert_eq!(bin.section(1).unwrap(), b"a");
        assert_eq!(bin.section(2).unwrap(), b"bb");
        assert!(bin.section(3).unwrap_err().contains("missing"));
    }

    #[test]
    fn refuses_wrong_magic_truncation_huge_lengths_and_duplicates() {
        assert!(BinFile::parse(b"wtns\x01\0\0\0\0\0\0\0", b"zkey").err().unwrap().contains("magic"));
        assert!(BinFile::parse(b"zk", b"zkey").err().unwrap().contains("too short"));
        let mut bytes = file(b"zkey", &[(1, b"abcd")]);
        bytes.truncate(bytes.len() - 1);
        assert!(BinFile::parse(&bytes, b"zkey").err().unwrap().contains("truncated"));
        let mut huge = b"zkey\x01\0\0\0\x01\0\0\0\x01\0\0\0".to_vec();
        huge.extend(u64::MAX.to_le_bytes());
        assert!(BinFile::parse(&huge, b"zkey").is_err());
        let dup = file(b"zkey", &[(1, b"a"), (1, b"b")]);
        assert!(BinFile::parse(&dup, b"zkey").unwrap().section(1).unwrap_err().contains("more than once"));
    }
}
