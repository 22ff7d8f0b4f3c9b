//! iden3's binary container (r1cs, ptau, zkey): a 4-byte magic, a version, a section count, then
//! sections of (type u32, size u64, bytes). Reads are bounds-checked: a truncated or hostile file
//! is an error, never a panic.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::SetupError;

/// Where one section's bytes are in its file.
#[derive(Clone, Copy, Debug)]
pub struct Section {
    pub offset: u64,
    pub size: u64,
}

pub struct BinFile {
    pub file: File,
    pub len: u64,
    pub name: &'static str,
    sections: Vec<(u32, Section)>,
}

impl BinFile {
    pub fn open(path: &Path, magic: &[u8; 4], name: &'static str) -> Result<Self, SetupError> {
        let file = File::open(path).map_err(|e| SetupError::Io(format!("{}: {e}", path.display())))?;
        let len = file.metadata().map_err(|e| SetupError::Io(e.to_string()))?.len();
        let mut this = Self { file, len, name, sections: Vec::new() };
        let head = this.read_at(0, 12)?;
        if &head[..4] != magic {
            return Err(SetupError::Format(format!("{name}: not a .{name} file (bad magic)")));
        }
        let count = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        let mut pos = 12u64;
        for _ in 0..count {
            let entry = this.read_at(pos, 12)?;
            let id = u32::from_le_bytes(entry[..4].try_into().expect("4 bytes"));
            let size = u64::from_le_bytes(entry[4..12].try_into().expect("8 bytes"));
            let offset = pos + 12;
            if !fits(offset, size, len) {
                return Err(SetupError::Truncated(format!(
                    "{name}: section {id} runs past the end of the file"
                )));
            }
            this.sections.push((id, Section { offset, size }));
            pos = offset + size;
        }
        Ok(this)
    }

    /// The first section of that type (snarkjs reads the first too).
    pub fn section(&self, id: u32) -> Result<Section, SetupError> {
        self.sections
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| *s)
            .ok_or_else(|| SetupError::Format(format!("{}: section {id} is missing", self.name)))
    }

    pub fn read_at(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, SetupError> {
        if !fits(offset, len, self.len) {
            return Err(SetupError::Truncated(format!(
                "{}: the file ends before byte {}",
                self.name,
                offset + len
            )));
        }
        let mut out = vec![0u8; len as usize];
        self.file.seek(SeekFrom::Start(offset)).map_err(|e| SetupError::Io(e.to_string()))?;
        self.file.read_exact(&mut out).map_err(|e| SetupError::Io(e.to_string()))?;
        Ok(out)
    }

    /// `len` bytes at `offset` inside a section; past the section's end is an error.
    pub fn read_in(&mut self, section: Section, offset: u64, len: u64) -> Result<Vec<u8>, SetupError> {
        if !fits(offset, len, section.size) {
            return Err(SetupError::Truncated(format!(
                "{}: a section is shorter than its header says",
                self.name
            )));
        }
        self.read_at(section.offset + offset, len)
    }
}

/// A little-endian u32 at `pos` of `bytes`, bounds-checked.
pub fn u32_at(bytes: &[u8], pos: usize) -> Result<u32, SetupError> {
    bytes
        .get(pos..pos + 4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .ok_or_else(|| SetupError::Truncated("a header or constraint ends early".into()))
}

/// Whether `len` bytes at `offset` lie within `limit` bytes.
fn fits(offset: u64, len: u64, limit: u64) -> bool {
    matches!(offset.checked_add(len), Some(end) if end <= limit)
}
