// `npm start` as users run it: scripts/start.sh serves the built Worker with
// `wrangler dev` (local KV persisted to a directory), and the AWS SDK, the
// validator page and a signed GitHub push work against it, and
// PIPEHOOK_GITHUB_API_URL points RegisterWebhookWithThirdParty at a GitHub API.
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { sign } from "@octokit/webhooks-methods";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  ListPipelineExecutionsCommand,
  PutWebhookCommand,
  RegisterWebhookWithThirdPartyCommand,
} from "@aws-sdk/client-codepipeline";
import { CREDENTIALS, REGION, SECRET_MARKER, fixturesDir, githubWebhook, pipelineDeclaration, repoRoot } from "./lib/worker.mjs";

let child;
let endpoint;
let output = "";
// Stands in for GitHub's API: records requests, answers an empty hook list and a created hook
// (the API's shapes are checked against GitHub's description in github.test.mjs).
const githubRequests = [];
const github = http.createServer((req, res) => {
  githubRequests.push(`${req.method} ${req.url}`);
  req.resume().on("end", () => {
    res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" });
    res.end(req.method === "POST" ? JSON.stringify({ id: 7, name: "web", config: {} }) : "[]");
  });
});
const persist = fs.mkdtempSync(path.join(os.tmpdir(), "pipehook-start-"));

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

before(async () => {
  await new Promise((r) => github.listen(0, "127.0.0.1", r));
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  child = spawn("bash", ["scripts/start.sh"], {
    cwd: repoRoot,
    detached: true, // its own process group, so workerd stops with it
    env: {
      ...process.env,
      PORT: String(port),
      PIPEHOOK_SKIP_SETUP: "1",
      PIPEHOOK_SKIP_BUILD: "1",
      PIPEHOOK_PERSIST_TO: persist,
      PIPEHOOK_GITHUB_API_URL: `http://127.0.0.1:${github.address().port}`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  // The port opens before the Worker is ready: poll until the API answers.
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const r = await fetch(`${endpoint}/`, { method: "POST", body: "{}" });
      if (r.headers.get("x-amzn-errortype")) break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`wrangler dev did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
});

after(async () => {
  if (child?.exitCode === null) {
    process.kill(-child.pid, "SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  fs.rmSync(persist, { recursive: true, force: true });
  github.close();
});

it("start_prints_endpoint_region_and_dev_credentials", () => {
  assert.match(output, new RegExp(`endpoint\\s+${endpoint}`));
  assert.match(output, /region\s+us-east-1/);
  assert.match(output, /AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test/);
});

it("wrangler_dev_serves_api_page_and_a_signed_github_push", async () => {
  const client = new CodePipelineClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("smoke", { branch: "master" }) }));
  const secret = `${SECRET_MARKER}smoke`;
  const { webhook } = await client.send(new PutWebhookCommand({ webhook: githubWebhook("smoke", "smoke", secret) }));
  assert.ok(webhook.url.startsWith(`${endpoint}/trigger?t=`), webhook.url);
  assert.equal(webhook.definition.authenticationConfiguration.SecretToken, "****");

  const page = await fetch(`${endpoint}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /text\/html/);

  const body = fs.readFileSync(path.join(fixturesDir, "push.with-new-branch.payload.json"), "utf8");
  const res = await fetch(webhook.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": await sign(secret, body) },
    body,
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.ok(!text.includes(SECRET_MARKER));
  const { pipelineExecutionSummaries } = await client.send(new ListPipelineExecutionsCommand({ pipelineName: "smoke" }));
  assert.equal(pipelineExecutionSummaries.length, 1);
  assert.equal(pipelineExecutionSummaries[0].trigger.triggerType, "Webhook");
  // The state is on disk under the persist directory.
  assert.ok(fs.readdirSync(persist).length > 0);
});

it("pipehook_github_api_url_is_where_register_webhook_with_third_party_goes", async () => {
  assert.match(output, new RegExp(`GitHub API\\s+http://127\\.0\\.0\\.1:${github.address().port}`));
  const client = new CodePipelineClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  const pipeline = pipelineDeclaration("registered", { branch: "master" });
  pipeline.stages[0].actions[0].configuration.OAuthToken = "ghp_start-test-token";
  await client.send(new CreatePipelineCommand({ pipeline }));
  await client.send(new PutWebhookCommand({ webhook: githubWebhook("registered", "registered", `${SECRET_MARKER}registered`) }));
  await client.send(new RegisterWebhookWithThirdPartyCommand({ webhookName: "registered" }));
  assert.deepEqual(githubRequests, ["GET /repos/Codertocat/Hello-World/hooks?per_page=100", "POST /repos/Codertocat/Hello-World/hooks"]);
});
