"""Signs a request with botocore's SigV4Auth at a given time and prints its Authorization header.

Reads JSON on stdin: url, body, amzDate (YYYYMMDD'T'HHMMSS'Z'), headers, region,
accessKeyId, secretAccessKey, sessionToken (optional). Used by worker-tests/dispatch.test.mjs to
check that the Worker's StartPipelineExecution request is signed exactly as botocore signs it.
"""
import datetime
import json
import sys

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main():
    given = json.load(sys.stdin)
    at = datetime.datetime.strptime(given["amzDate"], "%Y%m%dT%H%M%SZ")
    # "At the same time": the signer's clock is the moment the Worker signed.
    botocore.auth.get_current_datetime = lambda *args, **kwargs: at
    request = AWSRequest(method="POST", url=given["url"], data=given["body"].encode("utf-8"), headers=given["headers"])
    credentials = Credentials(given["accessKeyId"], given["secretAccessKey"], given.get("sessionToken"))
    SigV4Auth(credentials, "codepipeline", given["region"]).add_auth(request)
    print(request.headers["Authorization"])


if __name__ == "__main__":
    main()
