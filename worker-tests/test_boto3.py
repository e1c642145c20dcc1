"""boto3 against the running Worker: pipelines, webhooks, paging, every
PutWebhook error, tags, executions, refused signatures, a signed GitHub push."""

import hashlib
import hmac
import json
import os
import unittest
import urllib.error
import urllib.request

from botocore.exceptions import ClientError

from pipehook_client import ACCOUNT, REGION, SECRET_MARKER, all_webhooks, client, pipeline, webhook

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "fixtures", "github-payloads")


def error_of(call):
    try:
        call()
    except ClientError as e:
        return e
    raise AssertionError("expected an error, the call succeeded")


class Boto3Compat(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cp = client()
        cls.raw = client(validate=False)
        for name in ("boto-app", "boto-master"):
            try:
                cls.cp.create_pipeline(pipeline=pipeline(name, branch="master" if name == "boto-master" else "main"))
            except ClientError as e:
                if e.response["Error"]["Code"] != "PipelineNameInUseException":
                    raise

    def assertError(self, call, code, status=400):
        e = error_of(call)
        self.assertEqual(e.response["Error"]["Code"], code, e.response["Error"].get("Message"))
        self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertEqual(e.response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-errortype"), code)
        self.assertTrue(e.response["ResponseMetadata"].get("RequestId"))
        self.assertNotIn(SECRET_MARKER, e.response["Error"].get("Message", ""))
        return e

    def test_pipeline_create_get_update_list(self):
        got = self.cp.get_pipeline(name="boto-app")
        self.assertEqual(got["pipeline"]["version"], 1)
        # The GitHub action's OAuthToken is answered masked, as AWS does.
        self.assertEqual(got["pipeline"]["stages"][0]["actions"][0]["configuration"]["OAuthToken"], "****")
        self.assertEqual(got["metadata"]["pipelineArn"], f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:boto-app")
        self.cp.create_pipeline(pipeline=pipeline("boto-upd"))
        up = self.cp.update_pipeline(pipeline=pipeline("boto-upd", branch="dev"))
        self.assertEqual(up["pipeline"]["version"], 2)
        names = [p["name"] for p in self.cp.get_paginator("list_pipelines").paginate().build_full_result()["pipelines"]]
        self.assertIn("boto-upd", names)
        self.cp.delete_pipeline(name="boto-upd")
        self.assertError(lambda: self.cp.get_pipeline(name="boto-upd"), "PipelineNotFoundException")
        self.assertError(lambda: self.cp.create_pipeline(pipeline=pipeline("boto-app")), "PipelineNameInUseException")
        one = pipeline("boto-one")
        one["stages"].pop()
        self.assertError(lambda: self.cp.create_pipeline(pipeline=one), "InvalidStructureException")

    def test_webhook_put_list_update_delete(self):
        created = self.cp.put_webhook(webhook=webhook("boto-hook", "boto-app"), tags=[{"key": "k", "value": "v"}])["webhook"]
        self.assertEqual(created["definition"]["authenticationConfiguration"]["SecretToken"], "****")
        self.assertEqual(created["arn"], f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:webhook:boto-hook")
        self.assertRegex(created["url"], r"/trigger\?t=[0-9a-f]{64}&v=1$")
        self.assertNotIn("lastTriggered", created)
        updated = self.cp.put_webhook(webhook=webhook("boto-hook", "boto-app", filters=[]))["webhook"]
        self.assertEqual(updated["url"], created["url"])
        self.assertEqual(updated["definition"]["filters"], [])
        listed = [h for h in all_webhooks(self.cp) if h["definition"]["name"] == "boto-hook"]
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["tags"], [{"key": "k", "value": "v"}])
        self.cp.delete_webhook(name="boto-hook")
        self.cp.delete_webhook(name="boto-hook")
        self.assertFalse([h for h in all_webhooks(self.cp) if h["definition"]["name"] == "boto-hook"])
        again = self.cp.put_webhook(webhook=webhook("boto-hook", "boto-app"))["webhook"]
        self.assertNotEqual(again["url"], created["url"])
        self.cp.delete_webhook(name="boto-hook")

    def test_list_webhooks_paginates_120_with_max_results_50(self):
        names = [f"boto-page-{i:03d}" for i in range(120)]
        for n in names:
            self.cp.put_webhook(webhook=webhook(n, "boto-app"))
        seen, sizes, token = [], [], None
        while True:
            kw = {"MaxResults": 50}
            if token:
                kw["NextToken"] = token
            page = self.cp.list_webhooks(**kw)
            sizes.append(len(page["webhooks"]))
            seen += [h["definition"]["name"] for h in page["webhooks"]]
            for h in page["webhooks"]:
                self.assertEqual(h["definition"]["authenticationConfiguration"]["SecretToken"], "****")
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual([n for n in seen if n.startswith("boto-page-")], names)
        self.assertTrue(all(s == 50 for s in sizes[:-1]), sizes)
        # botocore's own paginator agrees.
        pages = self.cp.get_paginator("list_webhooks").paginate(PaginationConfig={"PageSize": 50})
        self.assertEqual([h["definition"]["name"] for p in pages for h in p["webhooks"] if h["definition"]["name"].startswith("boto-page-")], names)
        for n in names:
            self.cp.delete_webhook(name=n)

    def test_put_webhook_every_error_type(self):
        good = webhook("boto-err", "boto-app")
        cases = [
            ("ValidationException", {"webhook": {**good, "name": "bad name"}}),
            ("ValidationException", {"webhook": {**good, "targetAction": "Build"}}),
            ("ValidationException", {"webhook": {k: v for k, v in good.items() if k != "filters"}}),
            ("ValidationException", {"webhook": {**good, "filters": [{"jsonPath": "$.a"}] * 6}}),
            ("ValidationException", {"webhook": {**good, "authentication": "PASSWORD"}}),
            ("InvalidWebhookFilterPatternException", {"webhook": {**good, "filters": [{"jsonPath": "$..[", "matchEquals": "x"}]}}),
            ("InvalidWebhookAuthenticationParametersException", {"webhook": {**good, "authenticationConfiguration": {}}}),
            ("InvalidWebhookAuthenticationParametersException", {"webhook": {**good, "authentication": "IP", "authenticationConfiguration": {"AllowedIPRange": "10.0.0.0/33"}}}),
            ("InvalidWebhookAuthenticationParametersException", {"webhook": {**good, "authentication": "UNAUTHENTICATED"}}),
            ("PipelineNotFoundException", {"webhook": {**good, "targetPipeline": "boto-missing"}}),
            ("TooManyTagsException", {"webhook": good, "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]}),
            ("InvalidTagsException", {"webhook": good, "tags": [{"key": "aws:x", "value": "v"}]}),
        ]
        for code, kwargs in cases:
            with self.subTest(code=code, input=json.dumps(kwargs)[:120]):
                self.assertError(lambda: self.raw.put_webhook(**kwargs), code)
        self.assertFalse([h for h in all_webhooks(self.cp) if h["definition"]["name"] == "boto-err"])

    def test_put_webhook_limit_exceeded_at_300(self):
        existing = len(all_webhooks(self.cp))
        fillers = [f"boto-fill-{i:03d}" for i in range(300 - existing)]
        try:
            for n in fillers:
                self.cp.put_webhook(webhook=webhook(n, "boto-app"))
            self.assertError(lambda: self.cp.put_webhook(webhook=webhook("boto-301", "boto-app")), "LimitExceededException")
        finally:
            for n in fillers:
                self.cp.delete_webhook(name=n)

    def test_tags(self):
        self.cp.put_webhook(webhook=webhook("boto-tags", "boto-app"))
        arn = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:webhook:boto-tags"
        self.cp.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
        self.cp.untag_resource(resourceArn=arn, tagKeys=["a"])
        self.assertEqual(self.cp.list_tags_for_resource(resourceArn=arn)["tags"], [{"key": "b", "value": "2"}])
        self.assertError(lambda: self.cp.tag_resource(resourceArn=arn + "x", tags=[{"key": "a", "value": "1"}]), "ResourceNotFoundException")
        self.assertError(lambda: self.cp.tag_resource(resourceArn=arn, tags=[{"key": "aws:a", "value": "1"}]), "InvalidTagsException")
        self.assertError(lambda: self.raw.list_tags_for_resource(resourceArn="arn:nope"), "InvalidArnException")
        self.cp.delete_webhook(name="boto-tags")

    def test_unsigned_request_refused(self):
        self.assertError(lambda: client(signed=False).list_webhooks(), "MissingAuthenticationTokenException", 403)

    def test_wrong_secret_refused_and_changes_nothing(self):
        bad = client(secret_key="wrong")
        self.assertError(lambda: bad.create_pipeline(pipeline=pipeline("boto-badsig")), "InvalidSignatureException")
        self.assertError(lambda: self.cp.get_pipeline(name="boto-badsig"), "PipelineNotFoundException")

    def test_unknown_access_key_refused(self):
        self.assertError(lambda: client(access_key="AKIAOTHER").list_pipelines(), "UnrecognizedClientException")

    def test_signed_github_push_starts_one_execution(self):
        hook = self.cp.put_webhook(webhook=webhook("boto-push", "boto-master", secret=f"{SECRET_MARKER}push"))["webhook"]
        with open(os.path.join(FIXTURES, "push.with-new-branch.payload.json"), "rb") as f:
            body = f.read()
        sig = "sha256=" + hmac.new(f"{SECRET_MARKER}push".encode(), body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(hook["url"], data=body, method="POST", headers={
            "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": sig})
        with urllib.request.urlopen(req) as resp:
            answer = json.loads(resp.read())
        self.assertEqual(answer["outcome"], "accepted")
        execs = self.cp.list_pipeline_executions(pipelineName="boto-master")["pipelineExecutionSummaries"]
        self.assertEqual([e["pipelineExecutionId"] for e in execs], [answer["pipelineExecutionId"]])
        self.assertEqual(execs[0]["trigger"]["triggerType"], "Webhook")
        got = self.cp.get_pipeline_execution(pipelineName="boto-master", pipelineExecutionId=answer["pipelineExecutionId"])
        self.assertEqual(got["pipelineExecution"]["status"], "InProgress")
        listed = [h for h in all_webhooks(self.cp) if h["definition"]["name"] == "boto-push"][0]
        self.assertIn("lastTriggered", listed)
        # A wrong signature is refused and starts nothing.
        req = urllib.request.Request(hook["url"], data=body, method="POST", headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req)
        self.assertEqual(cm.exception.code, 401)
        self.assertEqual(len(self.cp.list_pipeline_executions(pipelineName="boto-master")["pipelineExecutionSummaries"]), 1)
        self.cp.delete_webhook(name="boto-push")


if __name__ == "__main__":
    unittest.main()
