#!/usr/bin/python3
"""Golden drift references computed with numpy for the example regression and multi-label data
(examples/data/diabetes-3view, examples/data/tags-3view), which `fusion train` must store
(functions/fusion/loop/drift-tasks.ts).

Regression: each modality's inner bin edges are numpy.quantile(values, [0.1, ..., 0.9]) (the
default linear method), equal ones merged (numpy.unique), and its shares are the counts of
numpy.searchsorted(edges, values, side="right") (bins closed on the left, the first and last
open-ended) over the rows where it is present. Multi-label: each modality's share of the rows
where it is present with score >= the label's threshold (the profile's, default 0.5).

Run with Debian's python (python3-numpy): /usr/bin/python3 scripts/numpy_drift_golden.py
"""
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "numpy-drift-golden.json"


def lines(name):
    text = (ROOT / "examples" / "data" / name / "train.jsonl").read_text()
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def regression(name):
    profile = json.loads((ROOT / "examples" / "data" / name / "profile.json").read_text())
    rows = lines(name)
    out = {}
    for m in profile["modalities"]:
        values = np.array([r["predictions"][m]["value"] for r in rows if m in r["predictions"]], dtype=float)
        edges = np.unique(np.quantile(values, np.arange(1, 10) / 10))
        counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
        out[m] = {"edges": edges.tolist(), "shares": (counts / len(values)).tolist()}
    return {"rows": len(rows), "histograms": out}


def multilabel(name):
    profile = json.loads((ROOT / "examples" / "data" / name / "profile.json").read_text())
    rows = lines(name)
    labels = profile["labels"]
    thresholds = np.array([profile.get("thresholds", {}).get(l, profile.get("threshold", 0.5)) for l in labels])
    out = {}
    for m in profile["modalities"]:
        scores = np.array([r["predictions"][m]["scores"] for r in rows if m in r["predictions"]], dtype=float)
        out[m] = (scores >= thresholds).mean(axis=0).tolist()
    return {"rows": len(rows), "labelShares": out}


golden = {"numpy": np.__version__, "diabetes-3view": regression("diabetes-3view"), "tags-3view": multilabel("tags-3view")}
OUT.write_text(json.dumps(golden, indent=1) + "\n")
print(f"wrote {OUT}")
