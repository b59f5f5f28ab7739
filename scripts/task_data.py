#!/usr/bin/python3
"""Example data and scikit-learn golden files for the regression and multi-label tasks.

- examples/data/tags-3view/: multi-label data made from make_multilabel_classification (fixed
  seed), split into three views, each predicted by its own per-label model; every score is an
  out-of-fold prediction (5-fold cross_val_predict, predict_proba).
- test/fixtures/sklearn-tasks-golden.json: Ridge(alpha) on examples/data/diabetes-3view (copied
  from the shared data) and a per-label LogisticRegression(C) on tags-3view, for the parity tests.

Run with Debian's python (python3-sklearn): /usr/bin/python3 scripts/task_data.py
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = pathlib.Path(__file__).resolve().parent.parent
TAGS = ROOT / "examples" / "data" / "tags-3view"
DIABETES = ROOT / "examples" / "data" / "diabetes-3view"
GOLDEN = ROOT / "test" / "fixtures" / "sklearn-tasks-golden.json"
SEED = 17
LABELS = ["person", "dog", "vehicle", "outdoor", "music", "speech"]
VIEWS = {
    "image": (slice(0, 8), make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))),
    "audio": (slice(8, 16), GaussianNB()),
    "text": (slice(16, 24), KNeighborsClassifier(n_neighbors=15)),
}
TRAIN = 600
ALPHAS = [1.0, 10.0]
C = 1.0
GOLDEN_TRAIN = 300
GOLDEN_TEST = 100


def make_tags():
    X, Y = make_multilabel_classification(
        n_samples=900, n_features=24, n_classes=len(LABELS), n_labels=2, length=40, allow_unlabeled=True, random_state=SEED
    )
    folds = KFold(5, shuffle=True, random_state=SEED)
    scores = {m: cross_val_predict(OneVsRestClassifier(model), X[:, cols], Y, cv=folds, method="predict_proba") for m, (cols, model) in VIEWS.items()}
    TAGS.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.jsonl", range(0, TRAIN)), ("test.jsonl", range(TRAIN, len(Y)))):
        with open(TAGS / name, "w") as f:
            for i in rows:
                line = {
                    "predictions": {m: {"scores": [round(float(s), 6) for s in scores[m][i]]} for m in VIEWS},
                    "labels": [l for l, y in zip(LABELS, Y[i]) if y],
                }
                f.write(json.dumps(line) + "\n")
    profile = {"name": "tags-3view", "task": "multilabel", "labels": LABELS, "modalities": list(VIEWS)}
    (TAGS / "profile.json").write_text(json.dumps(profile, indent=2) + "\n")


def load(folder, name, rows=None):
    profile = json.loads((folder / "profile.json").read_text())
    X, y = [], []
    with open(folder / name) as f:
        for line in f:
            if rows is not None and len(y) == rows:
                break
            row = json.loads(line)
            if profile["task"] == "regression":
                X.append([row["predictions"][m]["value"] for m in profile["modalities"]])
                y.append(row["value"])
            else:
                X.append([s for m in profile["modalities"] for s in row["predictions"][m]["scores"]])
                y.append([int(l in row["labels"]) for l in profile["labels"]])
    return np.asarray(X, dtype=float), np.asarray(y, dtype=float)


def golden():
    X, y = load(DIABETES, "train.jsonl")
    Xt, _ = load(DIABETES, "test.jsonl")
    ridge = []
    for alpha in ALPHAS:
        r = Ridge(alpha=alpha).fit(X, y)
        ridge.append({"alpha": alpha, "coef": r.coef_.tolist(), "intercept": float(r.intercept_), "testPredictions": r.predict(Xt).tolist()})
    X, Y = load(TAGS, "train.jsonl", GOLDEN_TRAIN)
    Xt, _ = load(TAGS, "test.jsonl", GOLDEN_TEST)
    labels = []
    for l in range(Y.shape[1]):
        # newton-cholesky reaches the optimum to 1e-12; lbfgs stops early on its ftol test.
        lr = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, Y[:, l])
        labels.append({"coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]), "testProbabilities": lr.predict_proba(Xt)[:, 1].tolist()})
    out = {
        "generator": "scripts/task_data.py",
        "sklearn": sklearn.__version__,
        "ridge": {"data": "examples/data/diabetes-3view", "fits": ridge},
        "logistic": {"data": "examples/data/tags-3view", "C": C, "trainRows": GOLDEN_TRAIN, "testRows": GOLDEN_TEST, "labels": labels},
    }
    GOLDEN.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    make_tags()
    golden()
