"""python -m late_fusion_client: fuse, joins, feedback, strategies and health from the command line."""

import argparse
import json
import sys
from typing import Any, List, Optional

from .client import FusionClient
from .errors import FusionProblemError, FusionTimeoutError

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint", required=True, help="API base URL, e.g. http://127.0.0.1:3000")
    common.add_argument("--auth", choices=["iam", "jwt", "none"], help="default: none for a loopback http endpoint, else iam")
    common.add_argument("--region", help="signing region (default: from the endpoint or AWS_REGION)")
    common.add_argument("--token", help="bearer token for --auth jwt")
    common.add_argument("--timeout", type=float, default=10, help="seconds per attempt (default 10)")
    common.add_argument("--retries", type=int, default=3, help="retries on 429, 503 and network errors (default 3)")

    p = argparse.ArgumentParser(prog="python -m late_fusion_client", description="Call the late-fusion API.")
    sub = p.add_subparsers(dest="command", required=True)
    fuse = sub.add_parser("fuse", parents=[common], help="fuse a request or a batch ({\"items\": [...]}) from a JSON file")
    fuse.add_argument("--strategy", required=True, help="average, product, max, min, median, vote, borda or learned")
    fuse.add_argument("--input", required=True, help="JSON file of the request, or - for stdin")
    feedback = sub.add_parser("feedback", parents=[common], help="send the true outcome of a decision or join from a JSON file")
    feedback.add_argument("--input", required=True, help='JSON file of the feedback ({"decisionId", "label", ...}), or - for stdin')
    sub.add_parser("strategies", parents=[common], help="list the strategies")
    sub.add_parser("health", parents=[common], help="check the API")
    join = sub.add_parser("join", parents=[common], help="put into, read or wait for a join")
    join.add_argument("action", choices=["put", "get", "wait"])
    join.add_argument("--profile", required=True)
    join.add_argument("--id", required=True, help="the join id: 1 to 128 of A-Z a-z 0-9 . _ : -")
    join.add_argument("--modality", help="for put: the modality name")
    join.add_argument("--input", help="for put: JSON file of the prediction, or - for stdin")
    join.add_argument("--wait-timeout", type=float, default=60, help="for wait: seconds (default 60)")
    return p


def _read_json(path: str) -> Any:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except OSError as e:
        raise SystemExit(_usage(f"cannot read --input {path}: {e.strerror}"))
    try:
        return json.loads(text)
    except ValueError as e:
        raise SystemExit(_usage(f"--input {path} is not valid JSON: {e}"))


def _usage(message: str) -> int:
    print(f"late_fusion_client: {message}", file=sys.stderr)
    return USAGE_ERROR


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        client = FusionClient(args.endpoint, region=args.region, auth=args.auth, token=args.token, timeout=args.timeout, retries=args.retries)
    except (ValueError, ImportError) as e:
        return _usage(str(e))
    try:
        if args.command == "fuse":
            body = _read_json(args.input)
            result: Any = client.fuse(args.strategy, body)  # a batch ({"items": [...]}) answers {"results": [...]}
        elif args.command == "feedback":
            result = client.feedback(_read_json(args.input))
        elif args.command == "strategies":
            result = client.strategies()
        elif args.command == "health":
            result = client.health()
        else:
            handle = client.join(args.profile, args.id)
            if args.action == "put":
                if not args.modality or not args.input:
                    return _usage("join put needs --modality and --input")
                result = handle.put(args.modality, _read_json(args.input))
            else:
                result = handle.get() if args.action == "get" else handle.wait(timeout=args.wait_timeout)
    except FusionProblemError as e:
        print(json.dumps(e.problem, indent=2), file=sys.stderr)
        return 1
    except (FusionTimeoutError, OSError) as e:
        print(f"late_fusion_client: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
