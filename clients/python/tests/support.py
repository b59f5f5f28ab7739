"""Shared test support: the live server's URL (from the test harness) and a stub HTTP server."""

import json
import os
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

LIVE_URL = os.environ.get("FUSION_TEST_URL")
HAS_JOINS = os.environ.get("FUSION_TEST_HAS_JOINS") == "1"
JOIN_PROFILE = os.environ.get("FUSION_TEST_JOIN_PROFILE", "sentiment-join")
# The live server's regression and multi-label join profiles, by task ({"regression": {...}, "multilabel": {...}}).
TASK_JOINS: Dict[str, Dict[str, Any]] = json.loads(os.environ.get("FUSION_TEST_TASK_JOINS", "{}"))
STORE_DIR = os.environ.get("FUSION_TEST_STORE_DIR")  # the live server's FUSION_STORE_DIR
MAX_BODY = int(os.environ.get("FUSION_TEST_MAX_BODY_BYTES", "65536"))
CREDENTIALS = {"access_key": "AKIDEXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

live = unittest.skipUnless(LIVE_URL, "set FUSION_TEST_URL to a running fusion serve (test/clients/python.test.ts does)")

Answer = Tuple  # (status, body, headers) or (status, body, headers, seconds to wait before answering)


class Stub:
    """A server on 127.0.0.1 answering each request with the next answer (the last repeats)."""

    def __init__(self, answers: List[Answer]) -> None:
        self.answers = answers
        self.seen: List[Dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                stub.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body, "at": time.monotonic()})
                status, payload, headers, *delay = stub.answers[min(len(stub.seen), len(stub.answers)) - 1]
                if delay:
                    time.sleep(delay[0])
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Stub":
        self.thread.start()
        return self

    def __exit__(self, *exc: Optional[BaseException]) -> None:
        self.server.shutdown()
        self.server.server_close()
