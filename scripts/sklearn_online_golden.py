#!/usr/bin/python3
"""Golden outputs of scikit-learn (and scipy) for the online monitor's regression and
multi-label scores (functions/fusion/loop/online-*.ts).

Builds a seeded synthetic decision log with its feedback (one strategy, two modalities, some
missing), and records what scikit-learn computes on it: MAE, RMSE, R2, the nominal 90%
interval's coverage and the Gaussian negative log-likelihood (scipy.stats.norm); micro- and
macro-F1, Hamming loss, exact-set accuracy, per-label precision/recall/F1, Brier score and log
loss per label (averaged over labels), and each label's calibration_curve (10 uniform bins).

Run with Debian's python (python3-sklearn): /usr/bin/python3 scripts/sklearn_online_golden.py
"""
import json
import pathlib

import numpy as np
import sklearn
from scipy.stats import norm
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, brier_score_loss, f1_score, hamming_loss, log_loss,
                             mean_absolute_error, mean_squared_error, precision_score, r2_score,
                             recall_score)

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "sklearn-online-golden.json"
N = 100
rng = np.random.default_rng(19)
TIME = "2026-11-30T12:00:00.000Z"


def common(i, task, modalities, output):
    return {"type": "decision", "decisionId": f"{task[0]}{i}", "time": TIME, "source": "http", "strategy": "average",
            "task": task, "profile": {"name": task, "version": "v1"}, "missing": [m for m in ("a", "b") if m not in modalities],
            "latencyMs": 0.1, "modalities": modalities, "output": output}


def feedback(i, task, field, value):
    return {"type": "feedback", "decisionId": f"{task[0]}{i}", field: value, "source": "golden", "receivedAt": TIME}


def regression():
    y = rng.normal(10, 4, N)
    pred = y + rng.normal(0.3, 1.5, N)
    std = rng.uniform(0.5, 3, N)
    a = y + rng.normal(0, 2, N)
    a_std = rng.uniform(0.5, 3, N)
    b = y + rng.normal(-1, 3, N)
    b_present = rng.uniform(size=N) > 0.2
    decisions, fb = [], []
    for i in range(N):
        mods = {"a": {"value": a[i], "std": a_std[i], "weight": 1, "contribution": 0.5}}
        if b_present[i]:
            mods["b"] = {"value": b[i], "weight": 1, "contribution": 0.5}
        decisions.append(common(i, "regression", mods, {"value": pred[i], "std": std[i]}))
        fb.append(feedback(i, "regression", "value", y[i]))

    def scores(p, t, s=None):
        out = {"rows": len(t), "mae": mean_absolute_error(t, p), "rmse": float(np.sqrt(mean_squared_error(t, p))), "r2": r2_score(t, p)}
        if s is not None:
            out["coverage90"] = float(np.mean(np.abs(t - p) <= norm.ppf(0.95) * s))
            out["nll"] = float(-np.mean(norm.logpdf(t, loc=p, scale=s)))
        return out
    expected = {"average": scores(pred, y, std), "a": scores(a, y, a_std), "b": scores(b[b_present], y[b_present])}
    return {"decisions": decisions, "feedback": fb, "expected": expected}


def multilabel():
    labels = ["cat", "dog", "sun", "car"]
    L = len(labels)
    truth = (rng.uniform(size=(N, L)) < [0.5, 0.3, 0.6, 0.1]).astype(int)
    scores = np.clip(truth * 0.5 + rng.uniform(0, 0.6, (N, L)), 0.001, 0.999)
    thresholds = np.array([0.5, 0.5, 0.6, 0.4])
    pred = (scores >= thresholds).astype(int)
    a = (np.clip(truth * 0.4 + rng.uniform(0, 0.7, (N, L)), 0, 1) >= 0.5).astype(int)
    decisions, fb = [], []
    for i in range(N):
        mods = {"a": {"labels": [labels[l] for l in range(L) if a[i, l]], "confidence": 0.7, "weight": 1, "contribution": 1}}
        decisions.append(common(i, "multilabel", mods, {"labels": [labels[l] for l in range(L) if pred[i, l]], "scores": {labels[l]: scores[i, l] for l in range(L)}}))
        fb.append(feedback(i, "multilabel", "labels", [labels[l] for l in range(L) if truth[i, l]]))

    def sets(p, t):
        out = {"rows": len(t), "microF1": f1_score(t, p, average="micro", zero_division=0), "macroF1": f1_score(t, p, average="macro", zero_division=0),
               "hamming": hamming_loss(t, p), "subsetAccuracy": accuracy_score(t, p), "perLabel": {}}
        for l, name in enumerate(labels):
            out["perLabel"][name] = {"precision": precision_score(t[:, l], p[:, l], zero_division=0), "recall": recall_score(t[:, l], p[:, l], zero_division=0),
                                     "f1": f1_score(t[:, l], p[:, l], zero_division=0), "support": int(t[:, l].sum())}
        return out
    average = sets(pred, truth)
    average["brier"] = float(np.mean([brier_score_loss(truth[:, l], scores[:, l]) for l in range(L)]))
    average["logLoss"] = float(np.mean([log_loss(truth[:, l], scores[:, l], labels=[0, 1]) for l in range(L)]))
    curves = {}
    for l, name in enumerate(labels):
        prob_true, prob_pred = calibration_curve(truth[:, l], scores[:, l], n_bins=10, strategy="uniform")
        curves[name] = {"positive": prob_true.tolist(), "score": prob_pred.tolist()}
    return {"labels": labels, "decisions": decisions, "feedback": fb, "expected": {"average": average, "a": sets(a, truth), "calibration": curves}}


def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return x


OUT.write_text(json.dumps(plain({"sklearn": sklearn.__version__, "regression": regression(), "multilabel": multilabel()})) + "\n")
print(f"wrote {OUT}")
