"""Errors raised by the client."""

import json
from typing import List, Optional

from .types import Problem, ProblemField


class FusionProblemError(Exception):
    """Every non-2xx answer, with its RFC 9457 problem object.

    An answer that is not a problem (API Gateway's own {"message": "Forbidden"}, a proxy's HTML
    page) becomes one with type "about:blank" and the first 500 characters of the body as detail.
    """

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem['status']} {problem['title']}: {problem['detail']}")
        self.problem = problem

    @property
    def status(self) -> int:
        return self.problem["status"]

    @property
    def type(self) -> str:
        return self.problem["type"]

    @property
    def title(self) -> str:
        return self.problem["title"]

    @property
    def detail(self) -> str:
        return self.problem["detail"]

    @property
    def errors(self) -> List[ProblemField]:
        return self.problem.get("errors", [])


class FusionTimeoutError(Exception):
    """join(...).wait() ran out of time before the join was decided or found insufficient."""


def to_problem(status: int, reason: str, text: str) -> Problem:
    """The problem an error answer carries, whatever its body."""
    body: object = None
    try:
        body = json.loads(text)
    except ValueError:
        pass
    if isinstance(body, dict) and isinstance(body.get("type"), str) and isinstance(body.get("status"), int) and isinstance(body.get("title"), str):
        return body  # type: ignore[return-value]
    message = body["message"] if isinstance(body, dict) and isinstance(body.get("message"), str) else text
    return {"type": "about:blank", "title": reason or f"HTTP {status}", "status": status, "detail": message[:500]}


def missing_botocore(cause: Optional[BaseException] = None) -> ImportError:
    err = ImportError(
        'auth="iam" signs requests with botocore, which is not installed: '
        "pip install botocore (or apt-get install python3-botocore), or use auth=\"jwt\" or \"none\""
    )
    err.__cause__ = cause
    return err
