"""FusionClient: the late-fusion API as methods, signed, with retries."""

import email.utils
import json
import os
import random
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union, overload

from .errors import FusionProblemError, FusionTimeoutError, to_problem
from .sigv4 import default_credentials, have_botocore, missing_botocore, sign_request
from .types import (
    Feedback,
    FeedbackAccepted,
    FusionRequest,
    FusionResponse,
    JoinPrediction,
    JoinState,
    MultilabelItem,
    MultilabelRequest,
    MultilabelResponse,
    RegressionItem,
    RegressionRequest,
    RegressionResponse,
    TaskRequest,
    TaskResponse,
)

RETRY_STATUSES = frozenset({429, 503})
"""Statuses worth another attempt. Any other 4xx is final."""

_EXECUTE_API = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
_MAX_DELAY = 20.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def retry_delay(attempt: int, retry_after: Optional[str], base: float = 0.1, rand: Callable[[], float] = random.random) -> float:
    """Seconds before retry number `attempt` (0 first): equal jitter on base * 2**attempt, at least Retry-After, at most 20 s."""
    exp = min(_MAX_DELAY, base * 2**attempt)
    return min(_MAX_DELAY, max(exp / 2 + rand() * exp / 2, retry_after_seconds(retry_after)))


def retry_after_seconds(value: Optional[str]) -> float:
    """Retry-After as seconds: delay-seconds or an HTTP date; 0 when absent or unreadable."""
    if not value:
        return 0.0
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())


class FusionClient:
    """A client of the late-fusion API. Methods raise FusionProblemError for every non-2xx answer.

    auth: "iam" (SigV4, needs botocore), "jwt" (token: a string or a function returning one) or
    "none"; default "none" for a loopback http endpoint (npm start), else "iam". credentials: for "iam", botocore credentials or a dict with access_key,
    secret_key and token; default botocore's chain. timeout: seconds per attempt. retries: after
    the first attempt, on 429, 503, network errors and timeouts.
    """

    def __init__(
        self,
        endpoint: str,
        region: Optional[str] = None,
        auth: Optional[str] = None,
        token: Union[str, Callable[[], str], None] = None,
        timeout: float = 10,
        retries: int = 3,
        credentials: Any = None,
        backoff: float = 0.1,
    ) -> None:
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"endpoint must be an http(s) URL such as http://127.0.0.1:3000 (got {endpoint!r})")
        if auth is None:
            auth = "none" if parts.scheme == "http" and parts.hostname in _LOOPBACK else "iam"
        if auth not in ("iam", "jwt", "none"):
            raise ValueError(f'auth must be "iam", "jwt" or "none" (got {auth!r})')
        if auth == "jwt" and not token:
            raise ValueError('auth="jwt" needs a token: a string or a function returning one')
        if auth == "iam" and not have_botocore():
            raise missing_botocore()
        self.endpoint = endpoint.rstrip("/")
        self.auth = auth
        self.region = region or _region_of(parts.hostname or "") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if auth == "iam" and not self.region:
            raise ValueError('auth="iam" needs a region: pass region, use an execute-api endpoint, or set AWS_REGION')
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._credentials = credentials

    @overload
    def fuse(self, strategy: str, request: RegressionRequest) -> RegressionResponse: ...
    @overload
    def fuse(self, strategy: str, request: MultilabelRequest) -> MultilabelResponse: ...
    @overload
    def fuse(self, strategy: str, request: FusionRequest) -> FusionResponse: ...

    def fuse(self, strategy: str, request: TaskRequest) -> TaskResponse:
        """Fuses one request with a strategy (POST /v1/fuse/{strategy}).

        The request's "task" picks its shape and the answer's: none (classification) answers a
        FusionResponse, "regression" a RegressionResponse (value, std), "multilabel" a
        MultilabelResponse (scores, labels). The overloads give type checkers that narrowing."""
        return self.request("POST", f"/v1/fuse/{_seg(strategy)}", request)[1]

    @overload
    def fuse_batch(self, strategy: str, items: Sequence[RegressionItem], defaults: RegressionRequest) -> List[RegressionResponse]: ...
    @overload
    def fuse_batch(self, strategy: str, items: Sequence[MultilabelItem], defaults: MultilabelRequest) -> List[MultilabelResponse]: ...
    @overload
    def fuse_batch(self, strategy: str, items: Sequence[FusionRequest], defaults: Optional[FusionRequest] = None) -> List[FusionResponse]: ...

    def fuse_batch(self, strategy: str, items: Sequence[Any], defaults: Optional[Any] = None) -> List[Any]:
        """Fuses up to 1000 requests in one call; defaults apply to every item that does not set them.

        A regression or multi-label batch states its task in defaults ({"task": "regression", ...}),
        which applies to every item, and answers that task's responses, one per item in order.
        An invalid item rejects the whole batch: FusionProblemError (400, or 422 for too few
        modalities) whose errors paths start with the item's index ("items.1.predictions.text.value");
        there are no per-item errors."""
        return self.request("POST", f"/v1/fuse/{_seg(strategy)}", {**(defaults or {}), "items": list(items)})[1]["results"]

    def strategies(self) -> List[Dict[str, Any]]:
        """The strategies the API serves (GET /v1/strategies)."""
        return self.request("GET", "/v1/strategies")[1]["strategies"]

    def health(self) -> Dict[str, Any]:
        """GET /v1/health."""
        return self.request("GET", "/v1/health")[1]

    def feedback(self, feedback: Feedback) -> FeedbackAccepted:
        """Sends the true outcome of an earlier decision or join (POST /v1/feedback, answered 202).

        One id (decisionId or joinId) and one outcome (label, value or labels). Safe to repeat
        (and retried on 503): feedback is idempotent per id and source."""
        return self.request("POST", "/v1/feedback", feedback)[1]

    def join(self, profile: str, join_id: str) -> "Join":
        """A handle on one join of a profile: put, get and wait. No request is made until one is called."""
        return Join(self, profile, join_id)

    def request(self, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
        """Sends one request (signed again on each attempt), retrying 429, 503, network errors and timeouts."""
        url = self.endpoint + path
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        attempt = 0
        while True:
            retries_left = attempt < self.retries
            req = urllib.request.Request(url, data=payload, method=method, headers=self._headers(method, url, payload))
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as res:
                    text = res.read().decode("utf-8")
                    return res.status, (json.loads(text) if text else None)
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")
                if not (retries_left and e.code in RETRY_STATUSES):
                    raise FusionProblemError(to_problem(e.code, e.reason or "", text)) from None
                delay = retry_delay(attempt, e.headers.get("Retry-After"), self.backoff)
            except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
                if not retries_left:
                    raise e
                delay = retry_delay(attempt, None, self.backoff)
            time.sleep(delay)
            attempt += 1

    def _headers(self, method: str, url: str, payload: Optional[bytes]) -> Dict[str, str]:
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self.auth == "jwt":
            token = self.token() if callable(self.token) else self.token
            headers["Authorization"] = f"Bearer {token}"
        elif self.auth == "iam":
            if self._credentials is None:
                self._credentials = default_credentials()
            assert self.region is not None
            headers = sign_request(method, url, headers, payload, self._credentials, self.region)
            headers.pop("host", None)  # urllib sends the same Host itself
        return headers


class Join:
    """One join: client.join(profile, join_id)."""

    def __init__(self, client: FusionClient, profile: str, join_id: str) -> None:
        self.client = client
        self.profile = profile
        self.join_id = join_id
        self._path = f"/v1/joins/{_seg(profile)}/{_seg(join_id)}"

    def put(self, modality: str, prediction: JoinPrediction) -> JoinState:
        """Puts one modality's prediction, of the profile's task: classification (Prediction),
        regression ({"value", "std"?}) or multi-label ({"scores"}). Answers "pending" (202), or
        "decided" when this arrival completed the join (200).

        A repeat with the same body is safe; a different body, or a late modality, is a 409.
        """
        return self.client.request("PUT", f"{self._path}/{_seg(modality)}", prediction)[1]

    def get(self) -> JoinState:
        """The join's state; FusionProblemError with status 404 when nothing has arrived yet."""
        return self.client.request("GET", self._path)[1]

    def wait(self, timeout: float = 60, interval: float = 0.1) -> JoinState:
        """Polls get() with backoff until the join is decided or insufficient; a 404 counts as pending."""
        deadline = time.monotonic() + timeout
        while True:
            state: Optional[JoinState]
            try:
                state = self.get()
            except FusionProblemError as e:
                if e.status != 404:
                    raise
                state = None
            if state is not None and state.get("state") != "pending":
                return state
            left = deadline - time.monotonic()
            if left <= 0:
                what = "pending" if state else "not opened"
                raise FusionTimeoutError(f"join {self.profile}/{self.join_id} was still {what} after {timeout} s")
            time.sleep(min(interval, left))
            interval = min(2.0, interval * 1.5)


def _seg(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _region_of(host: str) -> Optional[str]:
    m = _EXECUTE_API.search(host)
    return m.group(1) if m else None
