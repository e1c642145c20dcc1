"""Shared set-up for the Python compatibility suites: the endpoint the Worker
runs on (PIPEHOOK_ENDPOINT, started by scripts/test-worker.sh), boto3 clients,
and fixtures."""

import os

import boto3
from botocore.config import Config

ENDPOINT = os.environ.get("PIPEHOOK_ENDPOINT", "http://127.0.0.1:8787")
REGION = "us-east-1"
ACCOUNT = "123456789012"
SECRET_MARKER = "phk-secret-"
OAUTH_MARKER = "phk-oauth-"


def client(access_key="test", secret_key="test", validate=True, signed=True):
    cfg = Config(
        region_name=REGION,
        retries={"max_attempts": 1, "mode": "standard"},
        parameter_validation=validate,
    )
    if not signed:
        from botocore import UNSIGNED

        cfg = cfg.merge(Config(signature_version=UNSIGNED))
    return boto3.client(
        "codepipeline",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=cfg,
    )


def pipeline(name, branch="main"):
    return {
        "name": name,
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/pipehook-test",
        "artifactStore": {"type": "S3", "location": "pipehook-artifacts"},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Source",
                        "actionTypeId": {"category": "Source", "owner": "ThirdParty", "provider": "GitHub", "version": "1"},
                        "configuration": {"Owner": "o", "Repo": "r", "Branch": branch, "OAuthToken": f"{OAUTH_MARKER}{name}"},
                        "outputArtifacts": [{"name": "SourceOutput"}],
                    }
                ],
            },
            {
                "name": "Build",
                "actions": [
                    {
                        "name": "Build",
                        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                        "configuration": {"ProjectName": "p"},
                        "inputArtifacts": [{"name": "SourceOutput"}],
                    }
                ],
            },
        ],
    }


def webhook(name, target, secret=None, filters=None):
    return {
        "name": name,
        "targetPipeline": target,
        "targetAction": "Source",
        "filters": [{"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}] if filters is None else filters,
        "authentication": "GITHUB_HMAC",
        "authenticationConfiguration": {"SecretToken": secret or f"{SECRET_MARKER}{name}"},
    }


def all_webhooks(cp):
    out, token = [], None
    while True:
        kw = {"MaxResults": 100}
        if token:
            kw["NextToken"] = token
        page = cp.list_webhooks(**kw)
        out.extend(page["webhooks"])
        token = page.get("NextToken")
        if not token:
            return out
