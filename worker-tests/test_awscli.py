"""The AWS CLI (`aws codepipeline ... --endpoint-url`) against the running
Worker. Client-side parameter validation is turned off through the CLI's own
config file (`parameter_validation = false`) so invalid input reaches the server."""

import json
import os
import subprocess
import tempfile
import unittest

from pipehook_client import ACCOUNT, ENDPOINT, REGION, SECRET_MARKER, all_webhooks, client, pipeline, webhook

CONFIG = tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False)
CONFIG.write("[default]\nparameter_validation = false\nmax_attempts = 1\n")
CONFIG.close()


def aws(*args, key="test", secret="test", input_json=None, extra_env=None):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": CONFIG.name,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
        **(extra_env or {}),
    }
    env.pop("AWS_PROFILE", None)
    cmd = ["aws", "codepipeline", *args, "--endpoint-url", ENDPOINT, "--output", "json"]
    if input_json is not None:
        cmd += ["--cli-input-json", json.dumps(input_json)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    out = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
    return p.returncode, out, p.stderr


class AwsCliCompat(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        code, _, err = aws("create-pipeline", input_json={"pipeline": pipeline("cli-app")})
        if code != 0 and "PipelineNameInUseException" not in err:
            raise AssertionError(err)

    def assertCliError(self, result, code):
        rc, _, err = result
        self.assertNotEqual(rc, 0)
        self.assertIn(f"An error occurred ({code})", err)
        self.assertNotIn(SECRET_MARKER, err)

    def test_create_get_pipeline(self):
        rc, out, err = aws("get-pipeline", "--name", "cli-app")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out["pipeline"]["version"], 1)
        self.assertEqual(out["metadata"]["pipelineArn"], f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:cli-app")
        self.assertCliError(aws("get-pipeline", "--name", "cli-missing"), "PipelineNotFoundException")

    def test_put_list_update_delete_webhook(self):
        rc, out, err = aws("put-webhook", input_json={"webhook": webhook("cli-hook", "cli-app")})
        self.assertEqual(rc, 0, err)
        url = out["webhook"]["url"]
        self.assertEqual(out["webhook"]["definition"]["authenticationConfiguration"]["SecretToken"], "****")
        rc, out, err = aws("put-webhook", input_json={"webhook": webhook("cli-hook", "cli-app", filters=[])})
        self.assertEqual(rc, 0, err)
        self.assertEqual(out["webhook"]["url"], url)
        rc, out, err = aws("list-webhooks")
        self.assertEqual(rc, 0, err)
        self.assertIn("cli-hook", [h["definition"]["name"] for h in out["webhooks"]])
        self.assertNotIn(SECRET_MARKER, json.dumps(out))
        self.assertEqual(aws("delete-webhook", "--name", "cli-hook")[0], 0)
        self.assertEqual(aws("delete-webhook", "--name", "cli-hook")[0], 0)

    def test_list_webhooks_pages_120_with_max_results_50(self):
        cp = client()
        names = [f"cli-page-{i:03d}" for i in range(120)]
        for n in names:
            cp.put_webhook(webhook=webhook(n, "cli-app"))
        try:
            seen, token, pages = [], None, 0
            while True:
                args = ["list-webhooks", "--max-results", "50", "--no-paginate"]
                if token:
                    args += ["--next-token", token]
                rc, out, err = aws(*args)
                self.assertEqual(rc, 0, err)
                self.assertLessEqual(len(out["webhooks"]), 50)
                seen += [h["definition"]["name"] for h in out["webhooks"]]
                pages += 1
                token = out.get("NextToken")
                if not token:
                    break
            self.assertGreaterEqual(pages, 3)
            self.assertEqual([n for n in seen if n.startswith("cli-page-")], names)
            # The CLI's automatic pagination, with page size 50, sees them all too.
            rc, out, err = aws("list-webhooks", "--page-size", "50")
            self.assertEqual(rc, 0, err)
            self.assertEqual([h["definition"]["name"] for h in out["webhooks"] if h["definition"]["name"].startswith("cli-page-")], names)
        finally:
            for n in names:
                cp.delete_webhook(name=n)

    def test_put_webhook_every_error_type(self):
        good = webhook("cli-err", "cli-app")
        cases = [
            ("ValidationException", {"webhook": {**good, "name": "bad name"}}),
            ("ValidationException", {"webhook": {**good, "targetAction": "Build"}}),
            ("InvalidWebhookFilterPatternException", {"webhook": {**good, "filters": [{"jsonPath": "$.[", "matchEquals": "x"}]}}),
            ("InvalidWebhookAuthenticationParametersException", {"webhook": {**good, "authenticationConfiguration": {}}}),
            ("PipelineNotFoundException", {"webhook": {**good, "targetPipeline": "cli-missing"}}),
            ("TooManyTagsException", {"webhook": good, "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]}),
            ("InvalidTagsException", {"webhook": good, "tags": [{"key": "aws:x", "value": "v"}]}),
        ]
        for code, body in cases:
            with self.subTest(code=code):
                self.assertCliError(aws("put-webhook", input_json=body), code)

    def test_put_webhook_limit_exceeded(self):
        cp = client()
        fillers = [f"cli-fill-{i:03d}" for i in range(300 - len(all_webhooks(cp)))]
        try:
            for n in fillers:
                cp.put_webhook(webhook=webhook(n, "cli-app"))
            self.assertCliError(aws("put-webhook", input_json={"webhook": webhook("cli-301", "cli-app")}), "LimitExceededException")
        finally:
            for n in fillers:
                cp.delete_webhook(name=n)

    def test_tags(self):
        self.assertEqual(aws("put-webhook", input_json={"webhook": webhook("cli-tags", "cli-app")})[0], 0)
        arn = f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:webhook:cli-tags"
        rc, _, err = aws("tag-resource", "--resource-arn", arn, "--tags", "key=team,value=ci", "key=env,value=dev")
        self.assertEqual(rc, 0, err)
        self.assertEqual(aws("untag-resource", "--resource-arn", arn, "--tag-keys", "env")[0], 0)
        rc, out, err = aws("list-tags-for-resource", "--resource-arn", arn)
        self.assertEqual(out["tags"], [{"key": "team", "value": "ci"}])
        self.assertCliError(aws("list-tags-for-resource", "--resource-arn", arn + "-gone"), "ResourceNotFoundException")
        aws("delete-webhook", "--name", "cli-tags")

    def test_unsigned_and_wrongly_signed_refused(self):
        self.assertCliError(aws("list-webhooks", "--no-sign-request"), "MissingAuthenticationTokenException")
        self.assertCliError(aws("create-pipeline", secret="wrong", input_json={"pipeline": pipeline("cli-badsig")}), "InvalidSignatureException")
        self.assertCliError(aws("list-pipelines", key="AKIAOTHER"), "UnrecognizedClientException")
        self.assertCliError(aws("get-pipeline", "--name", "cli-badsig"), "PipelineNotFoundException")


if __name__ == "__main__":
    unittest.main()
