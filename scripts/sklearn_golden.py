#!/usr/bin/python3
"""Golden outputs of scikit-learn for the learned-fusion parity tests.

Features are built exactly as the fusion meta-learners build them: each modality's
probability vector (normalised to sum 1), concatenated in the profile's modality order.
Fits on the first TRAIN_ROWS lines of examples/data/digits-3view/train.jsonl and records
predictions on the first TEST_ROWS lines of test.jsonl.

Run with Debian's python (python3-sklearn): /usr/bin/python3 scripts/sklearn_golden.py
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data" / "digits-3view"
OUT = ROOT / "test" / "fixtures" / "sklearn-golden.json"
TRAIN_ROWS = 400
TEST_ROWS = 100
C = 1.0


def load(name, rows):
    profile = json.loads((DATA / "profile.json").read_text())
    X, y = [], []
    with open(DATA / name) as f:
        for line in f:
            if len(y) == rows:
                break
            row = json.loads(line)
            feats = []
            for m in profile["modalities"]:
                p = np.asarray(row["predictions"][m]["probabilities"], dtype=float)
                feats.extend(p / p.sum())
            X.append(feats)
            y.append(profile["classes"].index(row["label"]))
    return np.asarray(X), np.asarray(y)


def main():
    X, y = load("train.jsonl", TRAIN_ROWS)
    Xt, _ = load("test.jsonl", TEST_ROWS)
    lr = LogisticRegression(C=C, multi_class="multinomial", solver="lbfgs", tol=1e-12, max_iter=100000)
    lr.fit(X, y)
    svm = LinearSVC(C=C, loss="squared_hinge", tol=1e-8, max_iter=1000000)
    svm.fit(X, y)
    golden = {
        "generator": "scripts/sklearn_golden.py",
        "sklearn": sklearn.__version__,
        "data": "examples/data/digits-3view",
        "trainRows": TRAIN_ROWS,
        "testRows": TEST_ROWS,
        "C": C,
        "logistic": {
            "iterations": int(lr.n_iter_[0]),
            "trainProbabilities": lr.predict_proba(X).round(10).tolist(),
            "testProbabilities": lr.predict_proba(Xt).round(10).tolist(),
        },
        "linearSvm": {
            "iterations": int(svm.n_iter_),
            "testDecision": svm.decision_function(Xt).round(10).tolist(),
        },
    }
    OUT.write_text(json.dumps(golden) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: logistic {lr.n_iter_[0]} iterations, LinearSVC {svm.n_iter_} iterations")


if __name__ == "__main__":
    main()
