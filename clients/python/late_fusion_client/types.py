"""The API's request and response shapes as TypedDicts.

They mirror the server's zod schemas (functions/fusion/schemas.ts); test/clients/python.test.ts
checks that each has exactly the schema's fields and required fields.
"""

from typing import Any, Dict, List, Literal, TypedDict, Union


class Prediction(TypedDict, total=False):
    """One modality's prediction: exactly one of probabilities, logits or label (+ confidence)."""

    probabilities: Union[List[float], Dict[str, float]]
    logits: List[float]
    label: str
    confidence: float


class _RegressionPredictionRequired(TypedDict):
    value: float


class RegressionPrediction(_RegressionPredictionRequired, total=False):
    """One modality's regression prediction: a finite value, with an optional std > 0."""

    std: float


class MultilabelPrediction(TypedDict):
    """One modality's multi-label prediction: a probability per label, each in [0, 1] (a list in
    label order, or a dict keyed by label); they need not sum to 1."""

    scores: Union[List[float], Dict[str, float]]


# A join arrival: a prediction of the profile's task (classification, regression or multi-label).
JoinPrediction = Union[Prediction, RegressionPrediction, MultilabelPrediction]


class Options(TypedDict, total=False):
    temperatures: Dict[str, float]
    priors: List[float]
    mode: Literal["hard", "confidence"]
    minModalities: int
    tieBreak: Literal["first", "average"]
    epsilon: float


class FusionRequest(TypedDict, total=False):
    """One fusion request; classes and predictions may come from a stored profile."""

    id: Union[str, float]
    task: Literal["classification"]  # the default; regression and multi-label have their own request types
    profile: str
    classes: List[str]
    modalities: List[str]
    predictions: Dict[str, Prediction]
    weights: Dict[str, float]
    options: Options
    decisionId: str  # your own id for this decision (1-128 of A-Z a-z 0-9 . _ : -); a retry sends the same


class RegressionOptions(TypedDict, total=False):
    minModalities: int


class _RegressionFields(TypedDict, total=False):
    id: Union[str, float]
    profile: str
    modalities: List[str]
    predictions: Dict[str, RegressionPrediction]
    weights: Dict[str, float]
    options: RegressionOptions
    decisionId: str


class RegressionRequest(_RegressionFields):
    """A regression request ("task": "regression"); also a regression batch's defaults."""

    task: Literal["regression"]


class RegressionItem(_RegressionFields, total=False):
    """An item of a regression batch: its task, if given, is "regression"."""

    task: Literal["regression"]


class MultilabelOptions(TypedDict, total=False):
    threshold: float
    thresholds: Dict[str, float]  # per label (default threshold)
    minModalities: int
    epsilon: float


class _MultilabelFields(TypedDict, total=False):
    id: Union[str, float]
    profile: str
    labels: List[str]
    modalities: List[str]
    predictions: Dict[str, MultilabelPrediction]
    weights: Dict[str, float]
    options: MultilabelOptions
    decisionId: str


class MultilabelRequest(_MultilabelFields):
    """A multi-label request ("task": "multilabel"); also a multi-label batch's defaults."""

    task: Literal["multilabel"]


class MultilabelItem(_MultilabelFields, total=False):
    """An item of a multi-label batch: its task, if given, is "multilabel"."""

    task: Literal["multilabel"]


# A request of any task, by "task" (absent: classification), as POST /v1/fuse/{strategy} takes.
TaskRequest = Union[FusionRequest, RegressionRequest, MultilabelRequest]


class _ModalitiesUsed(TypedDict):
    used: List[str]
    missing: List[str]


class _ProfileUsed(TypedDict):
    name: str
    version: str
    stale: bool


class _FusionResponseRequired(TypedDict):
    strategy: str
    label: str
    confidence: float
    probabilities: Dict[str, float]
    modalities: _ModalitiesUsed
    contributions: Dict[str, float]


class ProblemField(TypedDict):
    path: str
    message: str


class FusionResponse(_FusionResponseRequired, total=False):
    """A decision."""

    id: Union[str, float]
    weighted: bool
    votes: Dict[str, float]
    effectiveWeights: Dict[str, float]
    conflict: float
    uncommitted: float
    profile: _ProfileUsed
    variant: Literal["primary", "canary"]  # which model answered, when the profile names a canary
    warnings: List[ProblemField]  # parts of the request that had no effect
    decisionId: str  # this decision's id in the decision log (also the x-fusion-decision-id header)


class _RegressionResponseRequired(TypedDict):
    task: Literal["regression"]
    strategy: str
    value: float
    modalities: _ModalitiesUsed
    contributions: Dict[str, float]


class RegressionResponse(_RegressionResponseRequired, total=False):
    """The answer to a regression request: the fused value, and its std where the rule gives one."""

    std: float
    id: Union[str, float]
    weighted: bool
    profile: _ProfileUsed
    decisionId: str


class _MultilabelResponseRequired(TypedDict):
    task: Literal["multilabel"]
    strategy: str
    scores: Dict[str, float]
    labels: List[str]  # the labels whose fused score reaches their threshold, in label order
    modalities: _ModalitiesUsed
    contributions: Dict[str, float]


class MultilabelResponse(_MultilabelResponseRequired, total=False):
    """The answer to a multi-label request."""

    id: Union[str, float]
    weighted: bool
    profile: _ProfileUsed
    decisionId: str


# The answer to a request of any task: its "task" says which (absent: classification).
TaskResponse = Union[FusionResponse, RegressionResponse, MultilabelResponse]


class _ProblemRequired(TypedDict):
    type: str
    title: str
    status: int
    detail: str


class Problem(_ProblemRequired, total=False):
    """An RFC 9457 problem object."""

    errors: List[ProblemField]
    errorsTruncated: int  # how many more field errors there were beyond those listed


class JoinState(TypedDict, total=False):
    """A join, by "state": "pending" (arrived, missing, openedAt, deadline), "decided" (the
    decision record: the answer of the profile's task, classification, regression or multi-label,
    plus joinId, trigger, decidedAt, arrivals) or
    "insufficient" (arrived, missing and a problem naming them)."""

    state: Literal["pending", "decided", "insufficient"]
    joinId: str
    profile: Any  # the name while pending; {name, version, ...} once there is an outcome
    arrived: List[str]
    missing: List[str]
    openedAt: str
    deadline: str
    trigger: Literal["complete", "window"]
    decidedAt: str
    arrivals: Dict[str, Dict[str, Any]]
    late: List[str]
    problem: Problem
    task: Literal["regression", "multilabel"]  # absent for classification
    label: str  # classification
    confidence: float
    probabilities: Dict[str, float]
    value: float  # regression
    std: float
    scores: Dict[str, float]  # multi-label
    labels: List[str]
    modalities: Dict[str, List[str]]
    contributions: Dict[str, float]
    decisionId: str  # a join's decision id: its joinId


class Feedback(TypedDict, total=False):
    """The true outcome of an earlier decision (POST /v1/feedback): exactly one of decisionId or
    joinId, and exactly one of label (classification), value (regression) or labels (multi-label);
    source defaults to "default". Idempotent per id and source."""

    decisionId: str
    joinId: str
    label: str
    value: float
    labels: List[str]
    source: str


class FeedbackAccepted(TypedDict):
    """The 202 answer to feedback. checked: "decision" when the logged decision was found and the
    outcome fits its task, "schema" when only the body's own rules could be checked."""

    accepted: Literal[True]
    id: str
    source: str
    checked: Literal["decision", "schema"]
