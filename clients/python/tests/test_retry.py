"""Retries and error mapping, against a stub server on 127.0.0.1."""

import re
import unittest
import unittest.mock
import urllib.error

from late_fusion_client import FusionClient, FusionProblemError, FusionTimeoutError, retry_after_seconds, retry_delay

from .support import CREDENTIALS, Stub

UNAVAILABLE = {"type": "urn:problem:late-fusion:unavailable", "title": "Service unavailable", "status": 503, "detail": "later"}
AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/us-east-1/execute-api/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$")


class RetryTest(unittest.TestCase):
    def test_503_twice_then_200_honouring_retry_after_and_signing_each_attempt(self) -> None:
        answers = [(503, UNAVAILABLE, {"Retry-After": "1"}), (503, "busy", {}), (200, {"status": "ok", "strategies": []}, {})]
        with Stub(answers) as stub:
            client = FusionClient(stub.url, auth="iam", region="us-east-1", credentials=CREDENTIALS, backoff=0.005)
            self.assertEqual(client.health(), {"status": "ok", "strategies": []})
        self.assertEqual(len(stub.seen), 3)
        self.assertGreaterEqual(stub.seen[1]["at"] - stub.seen[0]["at"], 0.95)
        for seen in stub.seen:
            self.assertRegex(seen["headers"]["Authorization"], AUTH)

    def test_429_is_retried_until_retries_run_out(self) -> None:
        with Stub([(429, {"message": "Too Many Requests"}, {})]) as stub:
            with self.assertRaises(FusionProblemError) as caught:
                FusionClient(stub.url, retries=2, backoff=0.005).health()
        self.assertEqual((caught.exception.status, len(stub.seen)), (429, 3))

    def test_other_4xx_is_never_retried_and_becomes_a_problem(self) -> None:
        with Stub([(403, {"message": "Forbidden"}, {})]) as stub:
            with self.assertRaises(FusionProblemError) as caught:
                FusionClient(stub.url, backoff=0.005).health()
        self.assertEqual(len(stub.seen), 1)
        self.assertEqual(caught.exception.problem, {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "Forbidden"})

    def test_a_refused_connection_is_retried_then_raised(self) -> None:
        with Stub([(200, {}, {})]) as stub:
            url = stub.url
        with self.assertRaises(urllib.error.URLError):
            FusionClient(url, retries=2, backoff=0.005).health()

    def test_an_attempt_that_times_out_is_retried(self) -> None:
        with Stub([(200, {"status": "late"}, {}, 1.0), (200, {"status": "ok", "strategies": []}, {})]) as stub:
            self.assertEqual(FusionClient(stub.url, timeout=0.2, backoff=0.005).health(), {"status": "ok", "strategies": []})
        self.assertEqual(len(stub.seen), 2)

    def test_jwt_sends_a_bearer_token(self) -> None:
        with Stub([(200, {"status": "ok", "strategies": []}, {})]) as stub:
            FusionClient(stub.url, auth="jwt", token=lambda: "tok-1").health()
        self.assertEqual(stub.seen[0]["headers"]["Authorization"], "Bearer tok-1")

    def test_backoff_laws(self) -> None:
        self.assertEqual(retry_after_seconds("7"), 7)
        self.assertEqual(retry_after_seconds("soon"), 0)
        self.assertEqual(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), 0)  # in the past
        for attempt in range(8):
            low, high = retry_delay(attempt, None, rand=lambda: 0), retry_delay(attempt, None, rand=lambda: 0.999)
            self.assertLessEqual(low, high)
            self.assertLessEqual(high, 20)
            self.assertAlmostEqual(low, min(20, 0.1 * 2**attempt) / 2)
        self.assertEqual(retry_delay(0, "3"), 3)
        self.assertEqual(retry_delay(0, "3600"), 20)  # capped


class OptionsTest(unittest.TestCase):
    def test_bad_options_fail_when_constructed(self) -> None:
        with self.assertRaisesRegex(ValueError, "endpoint must be an http"):
            FusionClient("not a url")
        with self.assertRaisesRegex(ValueError, 'auth must be "iam", "jwt" or "none"'):
            FusionClient("http://127.0.0.1:3000", auth="basic")
        with self.assertRaisesRegex(ValueError, "needs a token"):
            FusionClient("https://api.example.com", auth="jwt")
        with unittest.mock.patch.dict("os.environ", {}, clear=True):
            with self.assertRaisesRegex(ValueError, 'auth="iam" needs a region'):
                FusionClient("https://api.example.com")
        self.assertEqual(FusionClient("https://abc.execute-api.eu-west-1.amazonaws.com/prod").region, "eu-west-1")
        self.assertEqual(FusionClient("http://localhost:3000").auth, "none")


class JoinStubTest(unittest.TestCase):
    DECISION = {"joinId": "j1", "trigger": "window", "decidedAt": "2026-12-01T00:00:00Z", "arrivals": {"text": {"arrivedAt": "2026-11-30T23:59:30Z", "latenessMs": 0}}, "strategy": "average", "label": "positive", "confidence": 0.7,
                "probabilities": {"negative": 0.3, "positive": 0.7}, "modalities": {"used": ["text"], "missing": ["audio"]}, "contributions": {"text": 1}}

    def test_wait_polls_through_404_and_pending_until_decided(self) -> None:
        answers = [
            (404, {"type": "urn:problem:late-fusion:not-found", "title": "Not found", "status": 404, "detail": "no join"}, {}),
            (200, {"state": "pending", "joinId": "j1", "profile": "sentiment", "arrived": ["text"], "missing": ["audio"], "openedAt": "2026-12-01T00:00:00Z", "deadline": "2026-12-01T00:00:30Z"}, {}),
            (200, {"state": "decided", **self.DECISION}, {}),
        ]
        with Stub(answers) as stub:
            state = FusionClient(stub.url).join("sentiment", "j1").wait(timeout=5, interval=0.005)
        self.assertEqual(state, {"state": "decided", **self.DECISION})
        self.assertEqual([(s["method"], s["path"]) for s in stub.seen], [("GET", "/v1/joins/sentiment/j1")] * 3)

    def test_put_goes_to_the_modality_path_and_wait_times_out_while_pending(self) -> None:
        with Stub([(202, {"state": "pending", "arrived": ["text"], "missing": ["audio"], "deadline": "2026-12-01T00:00:30Z"}, {})]) as stub:
            join = FusionClient(stub.url).join("sentiment", "clip:42")
            self.assertEqual(join.put("text", {"probabilities": [0.2, 0.8]})["missing"], ["audio"])
            with self.assertRaises(FusionTimeoutError):
                join.wait(timeout=0.1, interval=0.01)
        self.assertEqual((stub.seen[0]["method"], stub.seen[0]["path"], stub.seen[0]["body"]), ("PUT", "/v1/joins/sentiment/clip%3A42/text", '{"probabilities":[0.2,0.8]}'))
