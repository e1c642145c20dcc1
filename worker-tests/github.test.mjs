// RegisterWebhookWithThirdParty / DeregisterWebhookWithThirdParty against GitHub's REST API as
// its official OpenAPI description defines it (lib/github-mock.mjs: Prism validates every
// request the Worker makes and every answer the fake GitHub gives): create, update, delete,
// each of GitHub's errors as an AWS error, GitHub Enterprise Server, and what is refused before
// GitHub is asked.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { CodePipelineClient, RegisterWebhookWithThirdPartyCommand } from "@aws-sdk/client-codepipeline";

import { githubErrors, startGithubMock } from "./lib/github-mock.mjs";
import { CREDENTIALS, REGION, SECRET_MARKER, callApi, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

const PUBLIC_URL = "https://hooks.example.com";
/** Every OAuthToken here carries this marker, so a leak is easy to find. */
const TOKEN_MARKER = "phk-oauth-";
const TOKEN = `ghp_${TOKEN_MARKER}admin0123456789`;
const secret = (n) => `${SECRET_MARKER}gh-${n}`;

/** A pipeline whose source action is GitHub's, with a real-looking OAuthToken. */
function githubPipeline(name, { owner = "Codertocat", repo = "Hello-World", token = TOKEN, actionTypeId } = {}) {
  const p = pipelineDeclaration(name);
  const action = p.stages[0].actions[0];
  action.configuration = { ...action.configuration, Owner: owner, Repo: repo, OAuthToken: token };
  if (actionTypeId) {
    action.actionTypeId = actionTypeId;
    action.configuration = { ConnectionArn: "arn:aws:codeconnections:us-east-1:123456789012:connection/x", FullRepositoryId: `${owner}/${repo}`, BranchName: "main" };
  }
  return p;
}

async function ok(endpoint, operation, input) {
  const r = await callApi(endpoint, operation, input);
  assert.equal(r.status, 200, `${operation}: ${r.text}`);
  return r.json;
}

async function webhookFor(endpoint, name, pipelineOptions = {}, secretToken = secret(name)) {
  await ok(endpoint, "CreatePipeline", { pipeline: githubPipeline(`${name}-pipeline`, pipelineOptions) });
  // A CodeStar connection has BranchName, not Branch.
  const filters = pipelineOptions.actionTypeId ? [{ jsonPath: "$.ref", matchEquals: "refs/heads/{BranchName}" }] : undefined;
  const { webhook } = await ok(endpoint, "PutWebhook", { webhook: githubWebhook(name, `${name}-pipeline`, secretToken, filters) });
  return webhook;
}

const register = (endpoint, webhookName) => callApi(endpoint, "RegisterWebhookWithThirdParty", { webhookName });
const deregister = (endpoint, webhookName) => callApi(endpoint, "DeregisterWebhookWithThirdParty", { webhookName });

/** The AWS error an API answer is, with a check that it shows no token or secret. */
function awsError(r, type, status = 400) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json.__type, type, r.text);
  assert.equal(r.headers.get("x-amzn-errortype"), type);
  assert.ok(!r.text.includes(TOKEN_MARKER) && !r.text.includes(SECRET_MARKER), r.text);
  return r.json.message;
}

describe("Register/DeregisterWebhookWithThirdParty against GitHub's OpenAPI description", () => {
  let mock, w;
  const since = () => mock.requests.length;
  const callsSince = (n) => mock.calls().slice(n);

  before(async () => {
    mock = await startGithubMock();
    w = await startWorker({ vars: { PUBLIC_URL, GITHUB_API_URL: mock.url } });
    for (const repo of ["Hello-World", "Spoon-Knife", "Full-House"]) mock.github.addRepo("Codertocat", repo);
    mock.github.addToken(TOKEN, ["Codertocat/Hello-World", "Codertocat/Spoon-Knife", "Codertocat/Full-House"]);
  });
  after(async () => {
    await w?.close();
    await mock?.close();
  });

  test("the mock refuses a request GitHub's description does not allow", async () => {
    const res = await fetch(`${mock.url}/repos/Codertocat/Hello-World/hooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "web", config: { url: "https://x.example/" }, events: "push", active: "yes" }),
    });
    assert.equal(res.status, 422);
    const problems = mock.problems();
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0].prism, /events must be array/);
    assert.deepEqual(mock.github.hooks("Codertocat", "Hello-World"), [], "nothing reached GitHub");
    mock.requests.length = 0;
  });

  test("register creates the repository webhook, with the OAuthToken, as GitHub documents it", async () => {
    const webhook = await webhookFor(w.endpoint, "gh-create");
    const n = since();
    assert.deepEqual((await register(w.endpoint, "gh-create")).json, {});
    assert.deepEqual(callsSince(n), ["GET /repos/Codertocat/Hello-World/hooks?per_page=100", "POST /repos/Codertocat/Hello-World/hooks"]);
    const post = mock.requests.at(-1);
    assert.deepEqual(post.body, {
      name: "web",
      config: { url: webhook.url, content_type: "json", insecure_ssl: "0", secret: secret("gh-create") },
      events: ["push"],
      active: true,
    });
    assert.equal(post.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(post.headers.accept, "application/vnd.github+json");
    assert.equal(post.headers["x-github-api-version"], "2022-11-28");
    assert.match(post.headers["user-agent"], /^pipehook-worker\/\d/);
    assert.ok(webhook.url.startsWith(`${PUBLIC_URL}/trigger?t=`), webhook.url);
    const hooks = mock.github.hooks("Codertocat", "Hello-World");
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0].config.url, webhook.url);
    // The hook's id is kept with the webhook.
    const kept = JSON.parse(await w.kv.get("registration/gh-create"));
    assert.equal(kept.hookId, hooks[0].id);
    assert.deepEqual([kept.owner, kept.repo, kept.apiUrl, kept.url], ["Codertocat", "Hello-World", mock.url, webhook.url]);
  });

  test("registering again updates that hook, with the new secret, instead of adding a second", async () => {
    const before = mock.github.hooks("Codertocat", "Hello-World").find((h) => h.config.url.includes(PUBLIC_URL));
    await ok(w.endpoint, "PutWebhook", { webhook: githubWebhook("gh-create", "gh-create-pipeline", secret("gh-create-2")) });
    const n = since();
    assert.equal((await register(w.endpoint, "gh-create")).status, 200);
    assert.deepEqual(callsSince(n), [`PATCH /repos/Codertocat/Hello-World/hooks/${before.id}`]);
    assert.deepEqual(mock.requests.at(-1).body, {
      config: { url: before.config.url, content_type: "json", insecure_ssl: "0", secret: secret("gh-create-2") },
      events: ["push"],
      active: true,
    });
    const hooks = mock.github.hooks("Codertocat", "Hello-World");
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0].config.secret, secret("gh-create-2"));
  });

  test("without its kept id, register finds the hook by its URL rather than adding a second", async () => {
    const [hook] = mock.github.hooks("Codertocat", "Hello-World");
    await w.kv.delete("registration/gh-create"); // e.g. the write failed after GitHub created the hook
    const n = since();
    assert.equal((await register(w.endpoint, "gh-create")).status, 200);
    assert.deepEqual(callsSince(n), ["GET /repos/Codertocat/Hello-World/hooks?per_page=100", `PATCH /repos/Codertocat/Hello-World/hooks/${hook.id}`]);
    assert.equal(mock.github.hooks("Codertocat", "Hello-World").length, 1);
    assert.equal(JSON.parse(await w.kv.get("registration/gh-create")).hookId, hook.id);
  });

  test("a hook deleted on GitHub is created again, and its new id kept", async () => {
    const [hook] = mock.github.hooks("Codertocat", "Hello-World");
    mock.github.repos.get("codertocat/hello-world").hooks.delete(hook.id);
    const n = since();
    assert.equal((await register(w.endpoint, "gh-create")).status, 200);
    assert.deepEqual(callsSince(n), [
      `PATCH /repos/Codertocat/Hello-World/hooks/${hook.id}`,
      "GET /repos/Codertocat/Hello-World/hooks?per_page=100",
      "POST /repos/Codertocat/Hello-World/hooks",
    ]);
    const [again] = mock.github.hooks("Codertocat", "Hello-World");
    assert.notEqual(again.id, hook.id);
    assert.equal(JSON.parse(await w.kv.get("registration/gh-create")).hookId, again.id);
  });

  test("the hook is found past the first page of a repository's hooks", async () => {
    for (let i = 0; i < 150; i++) mock.github.addHook("Codertocat", "Full-House", { url: `https://other.example/${i}`, events: ["issues"] });
    const webhook = await webhookFor(w.endpoint, "gh-paged", { repo: "Full-House" });
    const ours = mock.github.addHook("Codertocat", "Full-House", { url: webhook.url, active: false, contentType: "form" });
    const n = since();
    assert.equal((await register(w.endpoint, "gh-paged")).status, 200);
    assert.deepEqual(callsSince(n), [
      "GET /repos/Codertocat/Full-House/hooks?per_page=100",
      "GET /repos/Codertocat/Full-House/hooks?per_page=100&page=2",
      `PATCH /repos/Codertocat/Full-House/hooks/${ours.id}`,
    ]);
    assert.deepEqual(ours.config, { url: webhook.url, content_type: "json", insecure_ssl: "0", secret: secret("gh-paged") });
    assert.equal(ours.active, true);
    assert.equal(mock.github.hooks("Codertocat", "Full-House").length, 151);
  });

  test("a webhook whose action now names another repository moves its hook there", async () => {
    const webhook = await webhookFor(w.endpoint, "gh-move");
    assert.equal((await register(w.endpoint, "gh-move")).status, 200);
    const old = mock.github.hooks("Codertocat", "Hello-World").find((h) => h.config.url === webhook.url);
    const { pipeline } = await ok(w.endpoint, "GetPipeline", { name: "gh-move-pipeline" });
    pipeline.stages[0].actions[0].configuration.Repo = "Spoon-Knife";
    await ok(w.endpoint, "UpdatePipeline", { pipeline });
    const n = since();
    assert.equal((await register(w.endpoint, "gh-move")).status, 200);
    assert.deepEqual(callsSince(n), [
      `DELETE /repos/Codertocat/Hello-World/hooks/${old.id}`,
      "GET /repos/Codertocat/Spoon-Knife/hooks?per_page=100",
      "POST /repos/Codertocat/Spoon-Knife/hooks",
    ]);
    assert.equal(mock.github.hooks("Codertocat", "Hello-World").some((h) => h.config.url === webhook.url), false);
    assert.equal(mock.github.hooks("Codertocat", "Spoon-Knife").filter((h) => h.config.url === webhook.url).length, 1);
    assert.equal(JSON.parse(await w.kv.get("registration/gh-move")).repo, "Spoon-Knife");
  });

  test("deregister deletes the hook; again, or when GitHub already deleted it, succeeds", async () => {
    const webhook = await webhookFor(w.endpoint, "gh-delete");
    assert.equal((await register(w.endpoint, "gh-delete")).status, 200);
    const hook = mock.github.hooks("Codertocat", "Hello-World").find((h) => h.config.url === webhook.url);
    let n = since();
    assert.deepEqual((await deregister(w.endpoint, "gh-delete")).json, {});
    assert.deepEqual(callsSince(n), [`DELETE /repos/Codertocat/Hello-World/hooks/${hook.id}`]);
    assert.equal(mock.github.hooks("Codertocat", "Hello-World").some((h) => h.config.url === webhook.url), false);
    assert.equal(await w.kv.get("registration/gh-delete"), null);
    // Again: nothing kept, nothing on GitHub delivers to the URL.
    n = since();
    assert.equal((await deregister(w.endpoint, "gh-delete")).status, 200);
    assert.deepEqual(callsSince(n), ["GET /repos/Codertocat/Hello-World/hooks?per_page=100"]);
    // Registered, then deleted on GitHub by hand: GitHub's 404 is success.
    assert.equal((await register(w.endpoint, "gh-delete")).status, 200);
    const again = mock.github.hooks("Codertocat", "Hello-World").find((h) => h.config.url === webhook.url);
    mock.github.repos.get("codertocat/hello-world").hooks.delete(again.id);
    n = since();
    assert.equal((await deregister(w.endpoint, "gh-delete")).status, 200);
    assert.deepEqual(callsSince(n), [`DELETE /repos/Codertocat/Hello-World/hooks/${again.id}`]);
    assert.equal(await w.kv.get("registration/gh-delete"), null);
  });

  test("deregister without a kept id deletes the hook that delivers to the webhook's URL", async () => {
    const webhook = await webhookFor(w.endpoint, "gh-orphan");
    assert.equal((await register(w.endpoint, "gh-orphan")).status, 200);
    const hook = mock.github.hooks("Codertocat", "Hello-World").find((h) => h.config.url === webhook.url);
    await w.kv.delete("registration/gh-orphan");
    const n = since();
    assert.equal((await deregister(w.endpoint, "gh-orphan")).status, 200);
    assert.deepEqual(callsSince(n), ["GET /repos/Codertocat/Hello-World/hooks?per_page=100", `DELETE /repos/Codertocat/Hello-World/hooks/${hook.id}`]);
    assert.equal(mock.github.hooks("Codertocat", "Hello-World").some((h) => h.config.url === webhook.url), false);
  });

  describe("GitHub's errors as AWS errors, with GitHub's message and never the token", () => {
    test("a bad token (401)", async () => {
      await webhookFor(w.endpoint, "gh-bad-token", { token: `ghp_${TOKEN_MARKER}revoked999` });
      const message = awsError(await register(w.endpoint, "gh-bad-token"), "ValidationException");
      assert.match(message, /^Webhook 'gh-bad-token' could not be registered with GitHub\. Error cause: Bad credentials \[StatusCode: 401, GET http:\/\/127\.0\.0\.1:\d+\/repos\/Codertocat\/Hello-World\/hooks\?per_page=100\]/);
      assert.match(message, /OAuthToken of action 'Source' in pipeline 'gh-bad-token-pipeline'/);
      awsError(await deregister(w.endpoint, "gh-bad-token"), "ValidationException");
    });

    test("a repository not found (404), or not visible to the token", async () => {
      await webhookFor(w.endpoint, "gh-no-repo", { repo: "No-Such-Repo" });
      const message = awsError(await register(w.endpoint, "gh-no-repo"), "ValidationException");
      assert.match(message, /Error cause: Not Found \[StatusCode: 404, GET .*\/repos\/Codertocat\/No-Such-Repo\/hooks/);
      assert.match(message, /admin:repo_hook/);
    });

    test("a fine-grained token without the webhooks permission (403)", async () => {
      const limited = `github_pat_${TOKEN_MARKER}limited`;
      mock.github.addToken(limited, [], { fineGrained: true });
      await webhookFor(w.endpoint, "gh-no-scope", { token: limited });
      const message = awsError(await register(w.endpoint, "gh-no-scope"), "ValidationException");
      assert.match(message, /Error cause: Resource not accessible by personal access token \[StatusCode: 403/);
      assert.match(message, /Webhooks read and write/);
    });

    test("validation failed (422)", async () => {
      mock.github.addRepo("Codertocat", "Busy");
      mock.github.addToken(`ghp_${TOKEN_MARKER}busy`, ["Codertocat/Busy"]);
      for (let i = 0; i < 20; i++) mock.github.addHook("Codertocat", "Busy", { url: `https://ci${i}.example/` });
      await webhookFor(w.endpoint, "gh-full", { repo: "Busy", token: `ghp_${TOKEN_MARKER}busy` });
      const message = awsError(await register(w.endpoint, "gh-full"), "ValidationException");
      assert.match(message, /Error cause: Validation Failed: The "push" event cannot have more than 20 hooks \[StatusCode: 422, POST .*\/repos\/Codertocat\/Busy\/hooks\]/);
      assert.equal(mock.github.hooks("Codertocat", "Busy").length, 20);
      assert.equal(await w.kv.get("registration/gh-full"), null);
    });

    test("the primary rate limit (403, x-ratelimit-remaining: 0) is ThrottlingException, with the reset time", async () => {
      await webhookFor(w.endpoint, "gh-limited");
      mock.github.failNext(githubErrors.primaryRateLimit(1798761600));
      const message = awsError(await register(w.endpoint, "gh-limited"), "ThrottlingException");
      assert.match(message, /GitHub's rate limit\. Error cause: API rate limit exceeded for user ID 583231\./);
      assert.match(message, /The limit resets at 2027-01-01T00:00:00\.000Z\./);
    });

    test("a secondary rate limit (429, retry-after) is ThrottlingException, saying when to retry", async () => {
      await webhookFor(w.endpoint, "gh-secondary");
      mock.github.failNext(githubErrors.secondaryRateLimit(60));
      const message = awsError(await register(w.endpoint, "gh-secondary"), "ThrottlingException");
      assert.match(message, /secondary rate limit.*StatusCode: 429.*Retry after 60 seconds\./);
    });

    test("GitHub failing (5xx) is ServiceUnavailable (503), which SDKs retry", async () => {
      await webhookFor(w.endpoint, "gh-down");
      mock.github.failNext(githubErrors.serverError());
      const message = awsError(await register(w.endpoint, "gh-down"), "ServiceUnavailable", 503);
      assert.match(message, /HTTP 502: Server Error/);
      // The next try goes through.
      assert.equal((await register(w.endpoint, "gh-down")).status, 200);
    });

    test("the AWS SDK backs off and retries both, so a limit or an outage that passes is no failure", async () => {
      const webhook = await webhookFor(w.endpoint, "gh-retried");
      const sdk = (maxAttempts) => new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts });
      const command = new RegisterWebhookWithThirdPartyCommand({ webhookName: "gh-retried" });
      mock.github.failNext(githubErrors.secondaryRateLimit(1));
      assert.equal((await sdk(3).send(command)).$metadata.attempts, 2);
      mock.github.failNext(githubErrors.serverError());
      assert.equal((await sdk(3).send(command)).$metadata.attempts, 2);
      mock.github.failNext(githubErrors.primaryRateLimit(1798761600));
      await assert.rejects(sdk(1).send(command), (e) => e.name === "ThrottlingException" && e.$metadata.httpStatusCode === 400);
      // Retried, registered once.
      assert.equal(mock.github.hooks("Codertocat", "Hello-World").filter((h) => h.config.url === webhook.url).length, 1);
    });
  });

  describe("refused before GitHub is asked", () => {
    test("a webhook whose action is not a GitHub source action: ValidationException saying what Register supports", async () => {
      const actionTypeId = { category: "Source", owner: "AWS", provider: "CodeStarSourceConnection", version: "1" };
      await webhookFor(w.endpoint, "gh-codestar", { actionTypeId });
      const n = since();
      const message = awsError(await register(w.endpoint, "gh-codestar"), "ValidationException");
      assert.match(message, /supports webhooks whose target action is a GitHub source action \(actionTypeId category Source, owner ThirdParty, provider GitHub, version 1/);
      assert.match(message, /action 'Source' of pipeline 'gh-codestar-pipeline' is Source\/AWS\/CodeStarSourceConnection\/1/);
      awsError(await deregister(w.endpoint, "gh-codestar"), "ValidationException");
      assert.equal(since(), n);
    });

    test("a masked OAuthToken, a name that is not GitHub's, a missing pipeline, an unknown webhook", async () => {
      const n = since();
      await webhookFor(w.endpoint, "gh-masked", { token: "****" });
      assert.match(awsError(await register(w.endpoint, "gh-masked"), "ValidationException"), /OAuthToken .* is '\*\*\*\*'/);
      await webhookFor(w.endpoint, "gh-bad-token-text", { token: `ghp_${TOKEN_MARKER}x\nX-Injected: 1` });
      assert.match(awsError(await register(w.endpoint, "gh-bad-token-text"), "ValidationException"), /has characters no GitHub token has/);
      await webhookFor(w.endpoint, "gh-bad-owner", { owner: "Codertocat/../../user" });
      assert.match(awsError(await register(w.endpoint, "gh-bad-owner"), "ValidationException"), /Owner 'Codertocat\/\.\.\/\.\.\/user' .* is not a GitHub account name/);
      await webhookFor(w.endpoint, "gh-gone");
      await ok(w.endpoint, "DeletePipeline", { name: "gh-gone-pipeline" });
      assert.match(awsError(await register(w.endpoint, "gh-gone"), "ValidationException"), /target pipeline 'gh-gone-pipeline' does not exist/);
      assert.match(awsError(await register(w.endpoint, "no-such-webhook"), "WebhookNotFoundException"), /no-such-webhook/);
      awsError(await deregister(w.endpoint, "no-such-webhook"), "WebhookNotFoundException");
      assert.equal(since(), n);
    });
  });

  test("every request the Worker made is one GitHub's description allows, and no answer showed a token or secret", () => {
    assert.deepEqual(mock.problems(), []);
    assert.ok(mock.requests.length > 20);
    // Pipeline answers included: GetPipeline shows the OAuthToken as '****'.
    assert.deepEqual(w.responses.filter((r) => r.body === null || r.body.includes(TOKEN_MARKER)), []);
    assert.deepEqual(leaks(w.responses), []);
  });
});

describe("GitHub Enterprise Server (GITHUB_API_URL with /api/v3)", () => {
  let mock, w;
  before(async () => {
    mock = await startGithubMock({ description: "ghes", basePath: "/api/v3" });
    mock.github.addRepo("octo-org", "service");
    mock.github.addToken(TOKEN, ["octo-org/service"]);
    w = await startWorker({ vars: { PUBLIC_URL, GITHUB_API_URL: `${mock.url}/` } });
  });
  after(async () => {
    await w?.close();
    await mock?.close();
  });

  test("register, update and deregister against a GHES description", async () => {
    const webhook = await webhookFor(w.endpoint, "ghes-hook", { owner: "octo-org", repo: "service" });
    assert.equal((await register(w.endpoint, "ghes-hook")).status, 200);
    assert.equal((await register(w.endpoint, "ghes-hook")).status, 200);
    const [hook] = mock.github.hooks("octo-org", "service");
    assert.equal(hook.config.url, webhook.url);
    assert.equal((await deregister(w.endpoint, "ghes-hook")).status, 200);
    assert.deepEqual(mock.github.hooks("octo-org", "service"), []);
    assert.ok(mock.requests.every((r) => r.path.startsWith("/api/v3/repos/octo-org/service/hooks")), JSON.stringify(mock.calls()));
    assert.deepEqual(mock.calls(), [
      "GET /repos/octo-org/service/hooks?per_page=100",
      "POST /repos/octo-org/service/hooks",
      `PATCH /repos/octo-org/service/hooks/${hook.id}`,
      `DELETE /repos/octo-org/service/hooks/${hook.id}`,
    ]);
    assert.deepEqual(mock.problems(), []);
  });
});
