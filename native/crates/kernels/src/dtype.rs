//! Element types and the requantization rule (docs/model-format.md, "The rounding rule").

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    Int8,
    Uint8,
    Int16,
    Int32,
}

impl DType {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "int8" => Self::Int8,
            "uint8" => Self::Uint8,
            "int16" => Self::Int16,
            "int32" => Self::Int32,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Uint8 => "uint8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
        }
    }
    pub fn min(self) -> i64 {
        match self {
            Self::Int8 => -128,
            Self::Uint8 => 0,
            Self::Int16 => -32768,
            Self::Int32 => i32::MIN as i64,
        }
    }
    pub fn max(self) -> i64 {
        match self {
            Self::Int8 => 127,
            Self::Uint8 => 255,
            Self::Int16 => 32767,
            Self::Int32 => i32::MAX as i64,
        }
    }
    /// int8 or int16: the inputs of rmsnorm, rope, softmax and polyGate (|x| <= 2^15).
    pub fn is_narrow_signed(self) -> bool {
        matches!(self, Self::Int8 | Self::Int16)
    }
    #[inline(always)]
    pub fn clamp(self, v: i64) -> i32 {
        v.clamp(self.min(), self.max()) as i32
    }
}

/// Largest requantization shift (libs/inference's MAX_REQUANT_SHIFT).
pub const MAX_REQUANT_SHIFT: u32 = 62;

/// `clamp(floor((x * multiplier + 2^(shift-1)) / 2^shift) + zeroPoint, dtype)`: round half up,
/// then saturate (no rounding term with shift 0). |x| <= 2^31, 1 <= multiplier < 2^31 and
/// shift <= 62 (checked by `Requant::check`), so |p| < 2^62, p + 2^61 < 2^63: exact in i64, as
/// libs/inference computes it exactly with doubles or BigInt. `>>` on i64 is a floor division.
#[inline(always)]
pub fn requantize_value(x: i32, multiplier: i64, shift: u32, zero_point: i64, dtype: DType) -> i32 {
    let p = x as i64 * multiplier;
    let q = if shift == 0 { p } else { (p + (1i64 << (shift - 1))) >> shift };
    dtype.clamp(q + zero_point)
}

/// A requantization: the `requantize` layer's fields, or a v2 op's fused `requantize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    pub multiplier: i64,
    pub shift: u32,
    pub zero_point: i64,
    pub dtype: DType,
}

impl Requant {
    /// Whether the fields are in range: multiplier in [1, 2^31 - 1], shift in [0, 62], zeroPoint
    /// in the dtype.
    pub fn is_valid(&self) -> bool {
        (1..=i32::MAX as i64).contains(&self.multiplier)
            && self.shift <= MAX_REQUANT_SHIFT
            && (self.dtype.min()..=self.dtype.max()).contains(&self.zero_point)
    }
    #[inline(always)]
    pub fn apply(&self, x: i32) -> i32 {
        requantize_value(x, self.multiplier, self.shift, self.zero_point, self.dtype)
    }
    /// Requantizes in place.
    pub fn apply_all(&self, x: &mut [i32]) {
        for v in x {
            *v = self.apply(*v);
        }
    }
}

/// Per-channel requantization (format v2): one (multiplier, shift) per channel, one zero point and
/// dtype. The channel axis is the first of a 3-D tensor (`[C, H, W]`; a matmul's `[H, M, N]`, so
/// per head) and the last otherwise (`[C]`, `[T, C]`): element i is in channel `(i / inner) % C`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRequant {
    pub scales: Vec<(i64, u32)>,
    pub zero_point: i64,
    pub dtype: DType,
}

/// A `requantize` layer's or a fused block's fields: per tensor or per channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requantization {
    Tensor(Requant),
    Channel(ChannelRequant),
}

impl From<Requant> for Requantization {
    fn from(r: Requant) -> Self {
        Self::Tensor(r)
    }
}

/// `(channels, inner)` of a tensor's channel axis (see `ChannelRequant`).
pub fn channel_axis(shape: &[usize]) -> (usize, usize) {
    match shape {
        [c, h, w] => (*c, h * w),
        _ => (*shape.last().unwrap_or(&1), 1),
    }
}

impl Requantization {
    pub fn dtype(&self) -> DType {
        match self {
            Self::Tensor(r) => r.dtype,
            Self::Channel(c) => c.dtype,
        }
    }
    /// Whether every field is in range (see `Requant::is_valid`), a channel scale at a time.
    pub fn is_valid(&self) -> bool {
        match self {
            Self::Tensor(r) => r.is_valid(),
            Self::Channel(c) => {
                !c.scales.is_empty()
                    && c.scales.iter().all(|&(multiplier, shift)| {
                        Requant { multiplier, shift, zero_point: c.zero_point, dtype: c.dtype }.is_valid()
                    })
            }
        }
    }
    /// Whether the scale fits a tensor of `shape`: per tensor always, per channel with one entry
    /// per channel.
    pub fn fits(&self, shape: &[usize]) -> bool {
        match self {
            Self::Tensor(_) => true,
            Self::Channel(c) => c.scales.len() == channel_axis(shape).0,
        }
    }
    /// Whether only format v2 has this form.
    pub fn is_v2(&self) -> bool {
        matches!(self, Self::Channel(_))
    }
    /// Requantizes a tensor of `shape` in place (`fits(shape)` checked at build).
    pub fn apply_all(&self, x: &mut [i32], shape: &[usize]) {
        match self {
            Self::Tensor(r) => r.apply_all(x),
            Self::Channel(c) => {
                let (channels, inner) = channel_axis(shape);
                for (i, v) in x.iter_mut().enumerate() {
                    let (multiplier, shift) = c.scales[(i / inner) % channels];
                    *v = requantize_value(*v, multiplier, shift, c.zero_point, c.dtype);
                }
            }
        }
    }
}

/// An op's int32 result (of `shape`), requantized when the op fuses a requantization.
pub fn fused(mut y: Vec<i32>, shape: &[usize], requant: Option<&Requantization>) -> Vec<i32> {
    if let Some(r) = requant {
        r.apply_all(&mut y, shape);
    }
    y
}
