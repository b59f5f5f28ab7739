"""late_fusion_client: a client of the late-fusion API (fuse, batch, joins and feedback), signed with SigV4.

    from late_fusion_client import FusionClient
    client = FusionClient("https://abc.execute-api.eu-west-1.amazonaws.com")
    client.fuse("average", {"profile": "sentiment", "predictions": {...}})
    client.fuse("inverse-variance", {"task": "regression", "predictions": {"text": {"value": 1.8, "std": 0.5}}})
    client.join("sentiment", "clip-42").put("text", {"probabilities": [0.1, 0.2, 0.7]})
    client.feedback({"decisionId": "0f8e2c1a-...", "label": "positive", "source": "review"})
"""

from .client import FusionClient, Join, retry_after_seconds, retry_delay
from .errors import FusionProblemError, FusionTimeoutError
from .sigv4 import sign_request
from .types import (
    Feedback,
    FeedbackAccepted,
    FusionRequest,
    FusionResponse,
    JoinPrediction,
    JoinState,
    MultilabelItem,
    MultilabelPrediction,
    MultilabelRequest,
    MultilabelResponse,
    Prediction,
    Problem,
    RegressionItem,
    RegressionPrediction,
    RegressionRequest,
    RegressionResponse,
    TaskRequest,
    TaskResponse,
)

__all__ = [
    "Feedback",
    "FeedbackAccepted",
    "FusionClient",
    "FusionProblemError",
    "FusionRequest",
    "FusionResponse",
    "FusionTimeoutError",
    "Join",
    "JoinPrediction",
    "JoinState",
    "MultilabelItem",
    "MultilabelPrediction",
    "MultilabelRequest",
    "MultilabelResponse",
    "Prediction",
    "Problem",
    "RegressionItem",
    "RegressionPrediction",
    "RegressionRequest",
    "RegressionResponse",
    "TaskRequest",
    "TaskResponse",
    "retry_after_seconds",
    "retry_delay",
    "sign_request",
]
__version__ = "0.1.0"
