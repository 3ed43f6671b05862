//! Import of a Hugging Face folder (`config.json`, `tokenizer.json`, `model.safetensors`) of a
//! BERT encoder such as multilingual-e5-small, quantized here to Q4_0 (or kept in f32).

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use serde::Deserialize;

use super::model_file::{BertShape, ModelFile, NormalizerSpec};
use super::tokenizer::Vocabulary;
use super::{ModelError, ModelResult};

/// How the matrices are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 4-bit blocks of 32 weights with an f16 scale (ggml's Q4_0): the product's choice.
    Q4_0,
    /// Unquantized; used by tests to measure what quantization costs.
    F32,
}

#[derive(Deserialize)]
struct BertConfig {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default)]
    hidden_act: Option<String>,
}

fn default_eps() -> f64 {
    1e-12
}

/// Reads and converts the folder.
pub fn import_folder(folder: &Path, precision: Precision) -> ModelResult<ModelFile> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read_to_string(&path).map_err(|e| ModelError::io(path, e))
    };
    let config_text = read("config.json")?;
    let config: BertConfig = serde_json::from_str(&config_text).map_err(|e| {
        ModelError::format(
            folder.join("config.json").display().to_string(),
            e.to_string(),
        )
    })?;
    if let Some(act) = config.hidden_act.as_deref().filter(|a| *a != "gelu") {
        return Err(ModelError::format(
            folder.join("config.json").display().to_string(),
            format!("hidden_act {act:?}: only BERT's \"gelu\" is supported"),
        ));
    }
    let tokenizer_path = folder.join("tokenizer.json");
    let (vocabulary, unknown, normalizer) = read_tokenizer(&read("tokenizer.json")?)
        .map_err(|message| ModelError::format(tokenizer_path.display().to_string(), message))?;
    let weights_path = folder.join("model.safetensors");
    let weights = candle_core::safetensors::load(&weights_path, &Device::Cpu)?;
    let shape = BertShape {
        hidden: config.hidden_size,
        layers: config.num_hidden_layers,
        heads: config.num_attention_heads,
        intermediate: config.intermediate_size,
        max_positions: config.max_position_embeddings,
        layer_norm_eps: config.layer_norm_eps,
    };
    let tensors = convert_tensors(&weights, &shape, precision, &weights_path)?;
    Ok(ModelFile {
        shape,
        vocabulary,
        unknown,
        normalizer,
        source: format!("Hugging Face folder {}", folder.display()),
        tensors,
    })
}

#[derive(Deserialize)]
struct UnigramJson {
    unk_id: Option<u32>,
    vocab: Vocabulary,
}

/// The Unigram vocabulary, `<unk>`'s id and the normalizer of a `tokenizer.json`.
fn read_tokenizer(text: &str) -> Result<(Vocabulary, u32, NormalizerSpec), String> {
    let mut parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let kind = parsed["model"]["type"]
        .as_str()
        .unwrap_or("unknown")
        .to_string();
    if kind != "Unigram" {
        return Err(format!(
            "a {kind} model; only Unigram (SentencePiece) is supported"
        ));
    }
    let model: UnigramJson =
        serde_json::from_value(parsed["model"].take()).map_err(|e| e.to_string())?;
    let unknown = model.unk_id.ok_or("the Unigram model has no unk_id")?;
    let normalizer = match parsed.get("normalizer").cloned() {
        Some(value) if !value.is_null() => value.to_string(),
        // No normalizer: an empty sequence, which leaves text as it is.
        _ => r#"{"type":"Sequence","normalizers":[]}"#.to_string(),
    };
    Ok((
        model.vocab,
        unknown,
        NormalizerSpec::TokenizersJson(normalizer),
    ))
}

/// Our tensor names with their Hugging Face names (after an optional `bert.` prefix).
fn name_pairs(layers: usize) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = [
        ("emb.word", "embeddings.word_embeddings.weight"),
        ("emb.pos", "embeddings.position_embeddings.weight"),
        ("emb.type", "embeddings.token_type_embeddings.weight"),
        ("emb.ln.w", "embeddings.LayerNorm.weight"),
        ("emb.ln.b", "embeddings.LayerNorm.bias"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let parts = [
        ("q", "attention.self.query"),
        ("k", "attention.self.key"),
        ("v", "attention.self.value"),
        ("ao", "attention.output.dense"),
        ("aln", "attention.output.LayerNorm"),
        ("fi", "intermediate.dense"),
        ("fo", "output.dense"),
        ("oln", "output.LayerNorm"),
    ];
    for l in 0..layers {
        for (ours, theirs) in parts {
            for (suffix, hf) in [("w", "weight"), ("b", "bias")] {
                pairs.push((
                    format!("l{l}.{ours}.{suffix}"),
                    format!("encoder.layer.{l}.{theirs}.{hf}"),
                ));
            }
        }
    }
    pairs
}

fn convert_tensors(
    weights: &HashMap<String, Tensor>,
    shape: &BertShape,
    precision: Precision,
    path: &Path,
) -> ModelResult<HashMap<String, QTensor>> {
    let mut out = HashMap::new();
    for (ours, theirs) in name_pairs(shape.layers) {
        let tensor = weights
            .get(&theirs)
            .or_else(|| weights.get(&format!("bert.{theirs}")))
            .ok_or_else(|| {
                ModelError::format(path.display().to_string(), format!("no tensor {theirs}"))
            })?;
        // The big matrices are quantized; vectors and the small position/type tables stay f32.
        let quantize = precision == Precision::Q4_0
            && ours.ends_with(".w")
            && (ours == "emb.word" || ours.starts_with('l'))
            && !ours.contains("ln.");
        let dtype = if quantize {
            GgmlDType::Q4_0
        } else {
            GgmlDType::F32
        };
        let tensor = tensor.to_dtype(candle_core::DType::F32)?;
        out.insert(ours, QTensor::quantize(&tensor, dtype)?);
    }
    Ok(out)
}
