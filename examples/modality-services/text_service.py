"""A toy text-sentiment service: scores a transcript with a small word list and puts the
prediction into a join of the late-fusion API.

    PYTHONPATH=clients/python python3 examples/modality-services/text_service.py \
        --join call-1 "thanks, that was really helpful"
"""

import argparse
import json
import math
import re
import sys

from late_fusion_client import FusionClient, FusionProblemError

CLASSES = ["negative", "neutral", "positive"]
POSITIVE = {"thanks", "thank", "great", "helpful", "love", "good", "perfect", "happy", "excellent"}
NEGATIVE = {"bad", "terrible", "angry", "useless", "hate", "broken", "awful", "worst", "cancel"}


def predict(text: str) -> dict:
    """Logits from word counts (negative, neutral, positive), softmaxed into probabilities."""
    words = re.findall(r"[a-z']+", text.lower())
    pos = sum(w in POSITIVE for w in words)
    neg = sum(w in NEGATIVE for w in words)
    logits = [1.5 * neg - 0.5 * pos, 0.5, 1.5 * pos - 0.5 * neg]
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    return {"probabilities": [round(e / sum(exps), 4) for e in exps]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", help="the transcript")
    p.add_argument("--join", required=True, help="the join id shared by every modality of this call")
    p.add_argument("--profile", default="call-sentiment")
    p.add_argument("--endpoint", default="http://127.0.0.1:3000")
    p.add_argument("--wait", action="store_true", help="then wait for the decision and print it")
    p.add_argument("--predict-only", action="store_true", help="print the prediction; send nothing")
    args = p.parse_args()
    prediction = predict(args.text)
    if args.predict_only:
        print(json.dumps(prediction))
        return 0
    join = FusionClient(args.endpoint).join(args.profile, args.join)
    try:
        state = join.put("text", prediction)
        print(f"text: put {prediction['probabilities']} -> {state['state']}", file=sys.stderr)
        if args.wait and state["state"] == "pending":
            state = join.wait(timeout=60)
    except FusionProblemError as e:
        print(json.dumps(e.problem, indent=2), file=sys.stderr)
        return 1
    print(json.dumps(state, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
