"""The Python client against the real fusion serve (npm start), started by test/clients/python.test.ts."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from typing import Dict, List

from late_fusion_client import (
    FusionClient,
    FusionProblemError,
    JoinPrediction,
    MultilabelItem,
    MultilabelRequest,
    MultilabelResponse,
    RegressionItem,
    RegressionRequest,
    RegressionResponse,
)

from .support import CREDENTIALS, HAS_JOINS, JOIN_PROFILE, LIVE_URL, MAX_BODY, STORE_DIR, TASK_JOINS, live

SENTIMENT = {
    "profile": "sentiment",
    "predictions": {
        "text": {"probabilities": [0.1, 0.2, 0.7]},
        "video": {"probabilities": [0.2, 0.5, 0.3]},
        "audio": {"label": "positive", "confidence": 0.6},
    },
}


ML_REQUEST: MultilabelRequest = {
    "task": "multilabel",
    "decisionId": "py-ml-1",
    "labels": ["person", "dog", "outdoor"],
    "predictions": {"image": {"scores": [0.9, 0.2, 0.7]}, "audio": {"scores": {"person": 0.6, "dog": 0.8, "outdoor": 0.5}}},
}


# Answers carry a decisionId: sending our own makes two answers to the same request comparable
# (and checks that the server keeps a client's id).
SENTIMENT_WITH_ID = {**SENTIMENT, "decisionId": "py-live-1"}


def without_decision_id(answer):
    return {k: v for k, v in answer.items() if k != "decisionId"}


def raw_fuse(strategy, body):
    req = urllib.request.Request(f"{LIVE_URL}/v1/fuse/{strategy}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


@live
class LiveTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = FusionClient(LIVE_URL)

    def test_fuse_equals_the_api_answer(self) -> None:
        decision = self.client.fuse("average", SENTIMENT_WITH_ID)
        self.assertEqual(decision, raw_fuse("average", SENTIMENT_WITH_ID))
        self.assertEqual(decision["label"], "positive")
        self.assertEqual(decision["decisionId"], "py-live-1")
        self.assertNotEqual(self.client.fuse("average", SENTIMENT)["decisionId"], "py-live-1")

    def test_signed_requests_are_accepted_with_auth_iam(self) -> None:
        signed = FusionClient(LIVE_URL, auth="iam", region="eu-west-1", credentials=CREDENTIALS)
        self.assertEqual(signed.fuse("average", SENTIMENT_WITH_ID), self.client.fuse("average", SENTIMENT_WITH_ID))

    def test_fuse_batch_with_defaults(self) -> None:
        items = [
            {"id": "a", "predictions": {"text": {"probabilities": [0.8, 0.1, 0.1]}}},
            {"id": "b", "predictions": {"text": {"label": "positive"}, "audio": {"logits": [0, 0, 2]}}},
        ]
        results = self.client.fuse_batch("vote", items, {"profile": "sentiment"})
        self.assertEqual([(r["id"], r["label"]) for r in results], [("a", "negative"), ("b", "positive")])
        self.assertEqual(without_decision_id(results[1]), without_decision_id(self.client.fuse("vote", {**items[1], "profile": "sentiment"})))
        # Item i of a batch is "<the batch's id>:<i>".
        self.assertEqual(results[1]["decisionId"], results[0]["decisionId"][:-2] + ":1")

    def test_fuse_regression_equals_the_api_answer(self) -> None:
        request: RegressionRequest = {"task": "regression", "decisionId": "py-reg-1", "predictions": {"text": {"value": 1.8, "std": 0.5}, "audio": {"value": 0.9, "std": 1.2}}}
        answer: RegressionResponse = self.client.fuse("inverse-variance", request)
        self.assertEqual(answer, raw_fuse("inverse-variance", request))
        # inverse-variance: weights 1/std**2, so 4 and 1/1.44
        self.assertAlmostEqual(answer["value"], (4 * 1.8 + 0.9 / 1.44) / (4 + 1 / 1.44), places=12)
        self.assertAlmostEqual(answer["std"], (4 + 1 / 1.44) ** -0.5, places=12)
        self.assertEqual((answer["task"], answer["decisionId"]), ("regression", "py-reg-1"))

    def test_fuse_multilabel_equals_the_api_answer(self) -> None:
        answer: MultilabelResponse = self.client.fuse("average", ML_REQUEST)
        self.assertEqual(answer, raw_fuse("average", ML_REQUEST))
        self.assertEqual(answer["scores"], {"person": 0.75, "dog": 0.5, "outdoor": 0.6})
        self.assertEqual(answer["labels"], ["person", "dog", "outdoor"])  # each mean reaches the default threshold 0.5

    def test_fuse_batch_regression_and_multilabel_with_the_task_in_defaults(self) -> None:
        reg_items: List[RegressionItem] = [
            {"decisionId": "py-reg-b0", "predictions": {"text": {"value": 1.8, "std": 0.5}, "audio": {"value": 0.9, "std": 1.2}}},
            {"decisionId": "py-reg-b1", "predictions": {"text": {"value": 2}}},
        ]
        regs = self.client.fuse_batch("average", reg_items, {"task": "regression"})
        self.assertEqual(regs, raw_fuse("average", {"task": "regression", "items": reg_items})["results"])
        self.assertEqual([r["value"] for r in regs], [(1.8 + 0.9) / 2, 2])
        ml_items: List[MultilabelItem] = [
            {"decisionId": "py-ml-b0", "predictions": ML_REQUEST["predictions"]},
            {"decisionId": "py-ml-b1", "predictions": {"image": {"scores": [0.1, 0.9, 0.4]}}},
        ]
        defaults: MultilabelRequest = {"task": "multilabel", "labels": ["person", "dog", "outdoor"]}
        mls = self.client.fuse_batch("max", ml_items, defaults)
        self.assertEqual(mls, raw_fuse("max", {**defaults, "items": ml_items})["results"])
        self.assertEqual([r["labels"] for r in mls], [["person", "dog", "outdoor"], ["dog"]])

    def test_a_batch_with_one_bad_item_is_rejected_whole(self) -> None:
        items: List[RegressionItem] = [{"predictions": {"text": {"value": 1}}}, {"modalities": ["text", "audio"], "options": {"minModalities": 2}, "predictions": {"text": {"value": 1}}}]
        with self.assertRaises(FusionProblemError) as caught:
            self.client.fuse_batch("average", items, {"task": "regression"})
        e = caught.exception
        self.assertEqual((e.status, e.type, e.errors[0]["path"]), (422, "urn:problem:late-fusion:insufficient-modalities", "items.1.predictions"))
        bad = [{"predictions": {"text": {"value": 1}}}, {"predictions": {"text": {"value": "high"}}}]
        with self.assertRaises(FusionProblemError) as caught:
            self.client.fuse_batch("average", bad, {"task": "regression"})  # type: ignore[arg-type]
        self.assertEqual((caught.exception.status, [x["path"] for x in caught.exception.errors]), (400, ["items.1.predictions.text.value"]))

    def test_strategies_and_health(self) -> None:
        names = [s["name"] for s in self.client.strategies()]
        self.assertIn("average", names)
        self.assertEqual(self.client.health(), {"status": "ok", "strategies": names})

    def test_400_problem_fields_reach_the_caller(self) -> None:
        bad = {"classes": ["a", "b"], "predictions": {"text": {"probabilities": [0.5, 0.3, 0.2]}}}
        with self.assertRaises(FusionProblemError) as caught:
            self.client.fuse("average", bad)
        e = caught.exception
        self.assertEqual((e.status, e.type), (400, "urn:problem:late-fusion:invalid-request"))
        self.assertEqual(e.errors[0]["path"], "predictions.text.probabilities")
        self.assertIn("probabilities has 3 values but there are 2 classes", e.detail)

    def test_413_for_a_body_over_the_limit(self) -> None:
        big = {"classes": ["a", "b"], "predictions": {f"m{i}": {"probabilities": [0.5, 0.5]} for i in range(2000)}}
        self.assertGreater(len(json.dumps(big)), MAX_BODY)
        with self.assertRaises(FusionProblemError) as caught:
            self.client.fuse("average", big)
        self.assertEqual((caught.exception.status, caught.exception.type), (413, "urn:problem:late-fusion:payload-too-large"))

    def test_feedback_is_accepted_and_idempotent(self) -> None:
        feedback = {"decisionId": f"py-{time.time_ns()}", "label": "positive", "source": "py-review"}
        first = self.client.feedback(feedback)
        self.assertEqual(first, {"accepted": True, "id": feedback["decisionId"], "source": "py-review", "checked": "schema"})
        self.assertEqual(self.client.feedback(feedback), first)  # posting again is answered alike

    def test_feedback_problem_names_the_field(self) -> None:
        with self.assertRaises(FusionProblemError) as caught:
            self.client.feedback({"decisionId": "a", "joinId": "b", "label": "positive"})
        self.assertEqual((caught.exception.status, caught.exception.errors[0]["path"]), (400, "decisionId"))

    @unittest.skipUnless(STORE_DIR, "set FUSION_TEST_STORE_DIR to the server's store directory")
    def test_feedback_must_fit_the_logged_decision_task(self) -> None:
        decision_id = f"py-reg-{time.time_ns()}"
        folder = os.path.join(STORE_DIR, "decisions", "dt=" + time.strftime("%Y-%m-%d", time.gmtime()))
        os.makedirs(folder, exist_ok=True)
        line = {"type": "decision", "decisionId": decision_id, "time": "2026-01-01T00:00:00Z", "source": "http", "strategy": "inverse-variance",
                "task": "regression", "modalities": {}, "missing": [], "output": {"value": 1.5, "label": "1.5", "confidence": 1}, "latencyMs": 0.1}
        with open(os.path.join(folder, "py-test.jsonl"), "a") as f:
            f.write(json.dumps(line) + "\n")
        with self.assertRaises(FusionProblemError) as caught:
            self.client.feedback({"decisionId": decision_id, "label": "positive"})
        self.assertEqual((caught.exception.status, caught.exception.errors[0]["path"]), (400, "label"))
        self.assertIn('"value"', caught.exception.errors[0]["message"])
        self.assertEqual(self.client.feedback({"decisionId": decision_id, "value": 1.2})["checked"], "decision")

    @unittest.skipUnless(HAS_JOINS, "the server has no join routes yet")
    def test_join_completes_from_three_puts_and_wait_reads_it(self) -> None:
        join = self.client.join(JOIN_PROFILE, f"py-{time.time_ns()}:1")
        preds = SENTIMENT["predictions"]
        first = join.put("text", preds["text"])
        self.assertEqual(first["state"], "pending")
        self.assertEqual(sorted(first["missing"]), ["audio", "video"])
        self.assertEqual(join.put("text", preds["text"])["state"], "pending")  # a repeat changes nothing
        join.put("video", preds["video"])
        self.assertEqual(join.put("audio", preds["audio"])["state"], "decided")
        waited = join.wait(timeout=5)
        self.assertEqual(waited["state"], "decided")
        sync = self.client.fuse("average", {**SENTIMENT, "profile": JOIN_PROFILE})
        self.assertEqual((waited["label"], waited["probabilities"], waited["trigger"]), (sync["label"], sync["probabilities"], "complete"))
        self.assertEqual(sorted(waited["arrivals"]), ["audio", "text", "video"])
        with self.assertRaises(FusionProblemError) as caught:
            join.put("text", {"label": "negative"})
        self.assertEqual(caught.exception.status, 409)

    def _task_join(self, task: str, predictions: Dict[str, JoinPrediction], fields: List[str]) -> None:
        profile = TASK_JOINS[task]
        join = self.client.join(profile["name"], f"py-{task}-{time.time_ns()}")
        states = [join.put(modality, prediction)["state"] for modality, prediction in predictions.items()]
        self.assertEqual(states, ["pending"] * (len(predictions) - 1) + ["decided"])
        sync = raw_fuse(profile["join"]["strategy"], {"task": task, "profile": profile["name"], "predictions": predictions})
        decided = join.wait(timeout=5)
        self.assertEqual((decided["state"], decided["task"], decided["trigger"], decided["decisionId"]), ("decided", task, "complete", join.join_id))
        self.assertEqual({f: decided[f] for f in fields}, {f: sync[f] for f in fields})

    @unittest.skipUnless(HAS_JOINS, "the server has no join routes yet")
    def test_regression_join_decides_as_the_synchronous_route(self) -> None:
        predictions: Dict[str, JoinPrediction] = {"text": {"value": 1.8, "std": 0.5}, "audio": {"value": 0.9, "std": 1.2}, "video": {"value": 1.1, "std": 0.8}}
        self._task_join("regression", predictions, ["value", "std"])

    @unittest.skipUnless(HAS_JOINS, "the server has no join routes yet")
    def test_multilabel_join_decides_as_the_synchronous_route(self) -> None:
        predictions: Dict[str, JoinPrediction] = {"image": {"scores": [0.9, 0.2, 0.7]}, "audio": {"scores": {"person": 0.6, "dog": 0.8, "outdoor": 0.5}}}
        self._task_join("multilabel", predictions, ["scores", "labels"])


@live
class CommandLineTest(unittest.TestCase):
    def run_cli(self, *args: str, stdin: str = ""):
        return subprocess.run([sys.executable, "-m", "late_fusion_client", *args], input=stdin, capture_output=True, text=True, timeout=30)

    def test_fuse_from_a_file(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(SENTIMENT_WITH_ID, f)
            f.flush()
            out = self.run_cli("fuse", "--endpoint", LIVE_URL, "--strategy", "average", "--input", f.name)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout), raw_fuse("average", SENTIMENT_WITH_ID))

    def test_feedback_from_stdin(self) -> None:
        body = {"joinId": f"py-cli-{time.time_ns()}", "labels": ["a", "b"], "source": "py-cli"}
        out = self.run_cli("feedback", "--endpoint", LIVE_URL, "--input", "-", stdin=json.dumps(body))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(json.loads(out.stdout), {"accepted": True, "id": body["joinId"], "source": "py-cli", "checked": "schema"})

    def test_problem_goes_to_stderr_with_exit_1(self) -> None:
        out = self.run_cli("fuse", "--endpoint", LIVE_URL, "--strategy", "nope", "--input", "-", stdin=json.dumps(SENTIMENT))
        self.assertEqual(out.returncode, 1)
        self.assertEqual(json.loads(out.stderr)["status"], 404)
        self.assertIn("average", json.loads(out.stderr)["detail"])

    def test_unreadable_input_is_a_usage_error(self) -> None:
        out = self.run_cli("fuse", "--endpoint", LIVE_URL, "--strategy", "average", "--input", "-", stdin="{not json")
        self.assertEqual(out.returncode, 2)
        self.assertIn("--input - is not valid JSON", out.stderr)
