#!/usr/bin/python3
"""Golden outputs of scikit-learn for the per-modality calibration parity tests.

Each modality's probability vectors (normalised to sum 1, as the core does) from
examples/data/digits-3view: calibrators are fitted on every line of train.jsonl and applied
to the first TEST_ROWS lines of test.jsonl.

- platt: Platt's sigmoid on each class's log-odds logit(p), p clipped to [1e-12, 1 - 1e-12],
  one-vs-rest. Recorded twice: the (a, b) of sklearn.calibration._sigmoid_calibration with its
  gradient there, and the same objective (Platt's regularised targets T as sample weights T and
  1 - T of a positive and a negative copy of each row) solved to convergence by
  LogisticRegression(penalty=None, solver="newton-cg", tol=1e-12). The probabilities use the
  latter: in scikit-learn 1.2, _sigmoid_calibration evaluates log(1 - P) directly, which loses
  its precision where P saturates (|logit| = 27.6 at the clip), and its BFGS stops early on a
  few classes of the `profile` modality (many exact 0/1 probabilities) with a gradient far
  from 0; those are marked "converged": false;
- isotonic: IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1) on each class's
  probability, one-vs-rest;
- multiclass (10 digits): every class, then CalibratedClassifierCV's normalisation (divide by
  the row sum; an all-zero row becomes uniform);
- binary ("3" against the rest): the positive class's probability only.

Run with Debian's python (python3-sklearn): /usr/bin/python3 scripts/sklearn_calibration_golden.py
"""
import json
import pathlib
import warnings

import numpy as np
import sklearn
from scipy.special import expit
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data" / "digits-3view"
OUT = ROOT / "test" / "fixtures" / "sklearn-calibration-golden.json"
TEST_ROWS = 100
POSITIVE = 3
CLIP = 1e-12


def load(name, rows=None):
    profile = json.loads((DATA / "profile.json").read_text())
    P = {m: [] for m in profile["modalities"]}
    y = []
    with open(DATA / name) as f:
        for line in f:
            if rows is not None and len(y) == rows:
                break
            row = json.loads(line)
            for m in profile["modalities"]:
                p = np.asarray(row["predictions"][m]["probabilities"], dtype=float)
                P[m].append(p / p.sum())
            y.append(profile["classes"].index(row["label"]))
    return profile["modalities"], {m: np.asarray(v) for m, v in P.items()}, np.asarray(y)


def logit(p):
    p = np.clip(p, CLIP, 1 - CLIP)
    return np.log(p / (1 - p))


def targets(positive):
    n1 = positive.sum()
    n0 = len(positive) - n1
    return np.where(positive, (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0))


def platt(p, positive, p_test):
    F = logit(p)
    T = targets(positive)
    a0, b0 = _sigmoid_calibration(F, positive.astype(int))
    d = T - expit(-(a0 * F + b0))
    gradient = float(max(abs(d @ F), abs(d.sum())))
    X = np.concatenate([F, F])[:, np.newaxis]
    Y = np.concatenate([np.ones_like(F), np.zeros_like(F)])
    W = np.concatenate([T, 1 - T])
    lr = LogisticRegression(penalty=None, solver="newton-cg", tol=1e-12, max_iter=10000).fit(X, Y, sample_weight=W)
    a, b = -float(lr.coef_[0, 0]), -float(lr.intercept_[0])
    return {"a": a, "b": b, "sigmoidCalibration": [float(a0), float(b0)], "gradient": gradient, "converged": gradient <= 1e-5}, expit(-(a * logit(p_test) + b))


def isotonic(p, positive, p_test):
    return IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(p, positive.astype(float)).predict(p_test)


def normalise(proba):
    total = proba.sum(axis=1)[:, np.newaxis]
    uniform = np.full_like(proba, 1 / proba.shape[1])
    return np.divide(proba, total, out=uniform, where=total != 0)


def main():
    warnings.simplefilter("ignore")  # scipy's BFGS warns of precision loss, as explained above
    modalities, P, y = load("train.jsonl")
    _, Pt, _ = load("test.jsonl", TEST_ROWS)
    C = P[modalities[0]].shape[1]
    out = {}
    for m in modalities:
        fits = [platt(P[m][:, c], y == c, Pt[m][:, c]) for c in range(C)]
        iso = np.stack([isotonic(P[m][:, c], y == c, Pt[m][:, c]) for c in range(C)], axis=1)
        binary_fit, binary_platt = platt(P[m][:, POSITIVE], y == POSITIVE, Pt[m][:, POSITIVE])
        out[m] = {
            "plattFits": [f[0] for f in fits],
            "binaryPlattFit": binary_fit,
            "platt": normalise(np.stack([f[1] for f in fits], axis=1)).round(12).tolist(),
            "isotonic": normalise(iso).round(12).tolist(),
            "binaryPlatt": binary_platt.round(12).tolist(),
            "binaryIsotonic": isotonic(P[m][:, POSITIVE], y == POSITIVE, Pt[m][:, POSITIVE]).round(12).tolist(),
        }
    golden = {
        "generator": "scripts/sklearn_calibration_golden.py",
        "sklearn": sklearn.__version__,
        "data": "examples/data/digits-3view",
        "trainRows": int(len(y)),
        "testRows": TEST_ROWS,
        "binaryPositive": str(POSITIVE),
        "modalities": out,
    }
    OUT.write_text(json.dumps(golden) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(modalities)} modalities, {len(y)} training rows, {TEST_ROWS} test rows")


if __name__ == "__main__":
    main()
