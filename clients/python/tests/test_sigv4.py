"""SigV4 with botocore against the AWS Signature Version 4 test suite (aws-sig-v4-test-suite)."""

import datetime
import json
import os
import subprocess
import sys
import textwrap
import unittest

from late_fusion_client import sign_request

from .support import CREDENTIALS

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "clients", "sigv4-vectors.json")
NOW = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)


class SigV4Test(unittest.TestCase):
    def test_the_aws_test_suite_vectors(self) -> None:
        with open(VECTORS, encoding="utf-8") as f:
            suite = json.load(f)
        for v in suite["vectors"]:
            with self.subTest(v["name"]):
                headers = sign_request(v["method"], v["url"], {}, None, suite["credentials"], suite["region"], suite["service"], NOW)
                self.assertEqual(headers["Authorization"], v["authorization"])

    def test_a_session_token_is_sent_and_signed(self) -> None:
        creds = {**CREDENTIALS, "token": "session-token"}
        headers = sign_request("GET", "https://example.amazonaws.com/", {}, None, creds, "us-east-1", "execute-api", NOW)
        self.assertEqual(headers["X-Amz-Security-Token"], "session-token")
        self.assertIn("SignedHeaders=host;x-amz-date;x-amz-security-token,", headers["Authorization"])

    def test_iam_without_botocore_asks_for_it(self) -> None:
        code = textwrap.dedent("""
            import sys
            sys.modules["botocore"] = None  # as if it were not installed
            from late_fusion_client import FusionClient
            FusionClient("https://abc.execute-api.eu-west-1.amazonaws.com")
        """)
        root = os.path.join(os.path.dirname(__file__), "..")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("ImportError: auth=\"iam\" signs requests with botocore, which is not installed: pip install botocore", out.stderr)
        ok = subprocess.run([sys.executable, "-c", code.replace("amazonaws.com\")", "amazonaws.com\", auth=\"none\")")], capture_output=True, text=True, cwd=root, timeout=30)
        self.assertEqual(ok.returncode, 0, ok.stderr)
