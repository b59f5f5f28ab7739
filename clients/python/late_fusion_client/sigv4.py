"""AWS Signature Version 4 for API Gateway (execute-api), with botocore's signer."""

import datetime
from typing import Any, Dict, Mapping, Optional

from .errors import missing_botocore

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as e:  # botocore is optional: only auth="iam" needs it
    _IMPORT_ERROR: Optional[ImportError] = e
else:
    _IMPORT_ERROR = None


def have_botocore() -> bool:
    return _IMPORT_ERROR is None


def default_credentials() -> Any:
    """Credentials from botocore's default chain (environment, profile, SSO, container, instance role)."""
    if _IMPORT_ERROR:
        raise missing_botocore(_IMPORT_ERROR)
    import botocore.session

    creds = botocore.session.Session().get_credentials()
    if creds is None:
        raise RuntimeError("no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass credentials")
    return creds


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: Optional[bytes],
    credentials: Any,
    region: str,
    service: str = "execute-api",
    now: Optional[datetime.datetime] = None,
) -> Dict[str, str]:
    """The request's headers plus Host-derived X-Amz-Date, X-Amz-Security-Token and Authorization.

    credentials: botocore Credentials, or a mapping with access_key, secret_key and optional token.
    now: the signing time (default now), fixed only to reproduce a known signature.
    """
    if _IMPORT_ERROR:
        raise missing_botocore(_IMPORT_ERROR)
    if isinstance(credentials, Mapping):
        credentials = Credentials(credentials["access_key"], credentials["secret_key"], credentials.get("token"))
    elif hasattr(credentials, "get_frozen_credentials"):
        credentials = credentials.get_frozen_credentials()  # refreshable: one consistent snapshot
    request = AWSRequest(method=method.upper(), url=url, data=body or b"", headers=dict(headers))
    when = now or datetime.datetime.now(datetime.timezone.utc)
    _FixedTimeSigV4Auth(credentials, service, region, when).add_auth(request)
    return dict(request.headers.items())


if _IMPORT_ERROR is None:

    class _FixedTimeSigV4Auth(SigV4Auth):  # type: ignore[misc]
        """botocore's SigV4Auth with the signing time given, instead of read from the clock."""

        def __init__(self, credentials: Any, service: str, region: str, when: datetime.datetime) -> None:
            super().__init__(credentials, service, region)
            self._when = when

        def add_auth(self, request: Any) -> None:
            # The steps of SigV4Auth.add_auth, with self._when as the timestamp.
            request.context["timestamp"] = self._when.strftime("%Y%m%dT%H%M%SZ")
            self._modify_request_before_signing(request)
            canonical = self.canonical_request(request)
            signature = self.signature(self.string_to_sign(request, canonical), request)
            self._inject_signature_to_request(request, signature)
