"""Calls the deployed fusion API with an IAM (SigV4) signature, using botocore (part of every
AWS Python environment: boto3, the AWS CLI, Lambda's Python runtimes).
Run: FUSION_API_URL=<the ApiUrl output> AWS_REGION=<region> python3 examples/sigv4/fuse.py"""
import json
import os
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session


def fuse(api_url, strategy, request):
    """POSTs a fusion request, signed with the caller's credentials; returns the decision."""
    body = json.dumps(request).encode()
    signed = AWSRequest(method="POST", url=f"{api_url.rstrip('/')}/v1/fuse/{strategy}", data=body,
                        headers={"content-type": "application/json"})
    region = os.environ.get("AWS_REGION", "us-east-1")
    SigV4Auth(Session().get_credentials(), "execute-api", region).add_auth(signed)
    http = urllib.request.Request(signed.url, data=body, headers=dict(signed.headers), method="POST")
    with urllib.request.urlopen(http, timeout=10) as response:
        return json.load(response)


if __name__ == "__main__":
    print(json.dumps(fuse(os.environ["FUSION_API_URL"], "average", {
        "profile": "sentiment",
        "predictions": {"text": {"probabilities": [0.05, 0.15, 0.8]}, "audio": {"logits": [-1.2, 0.3, 2.0]}},
    })))
