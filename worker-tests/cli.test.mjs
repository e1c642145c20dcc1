// The package's CLI (and its `pipehook/client`) against a running Worker: `pipehook deliveries`,
// `delivery` and `redeliver`, run through the bin of the packed and installed package, signing
// with credentials from the environment and from the shared files (~/.aws/credentials with
// AWS_PROFILE or --profile, the region from ~/.aws/config), in a HOME of the test's own.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fs from "node:fs";
import { REGION, SECRET_MARKER, callApi, deliverSigned, fixturesDir, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";
import { eventually } from "./lib/dispatch.mjs";
import { installedPackage } from "./lib/package.mjs";

const KEY = { keyId: "AKIAPHKCLITEST000001", secret: "phk-cli-aws-secret-key-0123456789" };
const SECRET = `${SECRET_MARKER}cli`;
const PUSH = fs.readFileSync(path.join(fixturesDir, "push.with-new-branch.payload.json"), "utf8"); // to master

describe("the CLI against a Worker (pipehook deliveries, delivery, redeliver)", () => {
  let w;
  let pkg;
  let home;
  let url;
  const outputs = [];

  /**
   * Runs the installed bin with only the environment given (plus PATH), in the test's HOME.
   * Asynchronously: the recording proxy in front of the Worker runs in this process.
   */
  function cli(args, env = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [pkg.bin, ...args], { cwd: pkg.dir, env: { PATH: process.env.PATH, HOME: home, NO_COLOR: "1", ...env } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (status) => {
        outputs.push(stdout, stderr);
        resolve({ status, stdout, stderr });
      });
    });
  }
  const envKeys = { AWS_ACCESS_KEY_ID: KEY.keyId, AWS_SECRET_ACCESS_KEY: KEY.secret, AWS_REGION: REGION };
  const api = async (operation, input) => {
    const r = await callApi(w.endpoint, operation, input, KEY);
    assert.equal(r.status, 200, `${operation}: ${r.text}`);
    return r.json;
  };

  before(async () => {
    pkg = installedPackage();
    home = mkdtempSync(path.join(os.tmpdir(), "pipehook-cli-home-"));
    w = await startWorker({ vars: { AWS_ACCESS_KEY_ID: KEY.keyId, AWS_SECRET_ACCESS_KEY: KEY.secret } });
    await api("CreatePipeline", { pipeline: pipelineDeclaration("cli", { branch: "master" }) });
    url = (await api("PutWebhook", { webhook: githubWebhook("cli", "cli", SECRET, [{ jsonPath: "$.ref", matchEquals: "refs/heads/release" }]) })).webhook.url;
    assert.equal((await deliverSigned(url, PUSH, { secret: SECRET, event: "push" })).json.outcome, "filtered");
    assert.equal((await deliverSigned(url, PUSH, { secret: `${SECRET_MARKER}wrong`, event: "push" })).status, 401);
    // The log is written after each answer.
    await eventually(async () => {
      const r = await callApi(w.endpoint, "ListWebhookDeliveries", { webhookName: "cli" }, { ...KEY, headers: { "x-amz-target": "Pipehook_20261201.ListWebhookDeliveries" } });
      return r.json?.deliveries?.length === 2 || null;
    }, { what: "two log entries" });
  });

  after(async () => {
    await w?.close();
    pkg?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("deliveries: a table of time, event, outcome, status, id and reason, newest first, signed with keys from the environment", async () => {
    const r = await cli(["deliveries", "--endpoint-url", w.endpoint, "--webhook", "cli"], envKeys);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^TIME\s+EVENT\s+OUTCOME\s+STATUS\s+ID\s+REASON$/);
    assert.equal(lines.length, 3);
    assert.match(lines[1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+push\s+unauthorized\s+401\s+[0-9a-f-]{36}\s+\S/);
    assert.match(lines[2], /^\d{4}-\d\d-\d\dT\S+\s+push\s+filtered\s+200\s+[0-9a-f-]{36}\s+filtered: filter rule 1 \(\$\.ref\) expected 'refs\/heads\/release' but selected 'refs\/heads\/master'$/);
    const json = JSON.parse((await cli(["deliveries", "--endpoint-url", w.endpoint, "--webhook", "cli", "--json", "--max-results", "1"], envKeys)).stdout);
    assert.equal(json.deliveries.length, 1);
    assert.equal(json.deliveries[0].outcome, "unauthorized");
  });

  it("signs with a profile of the shared credentials file (AWS_PROFILE or --profile), its region from ~/.aws/config", async () => {
    mkdirSync(path.join(home, ".aws"), { recursive: true });
    writeFileSync(path.join(home, ".aws", "credentials"), `[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong-secret-key\n\n[pipehook-dev]\naws_access_key_id = ${KEY.keyId}\naws_secret_access_key = ${KEY.secret}\n`);
    writeFileSync(path.join(home, ".aws", "config"), `[profile pipehook-dev]\nregion = ${REGION}\n\n[default]\nregion = eu-west-3\n`);
    const args = ["deliveries", "--endpoint-url", w.endpoint, "--webhook", "cli"];
    const byEnv = await cli(args, { AWS_PROFILE: "pipehook-dev" });
    assert.equal(byEnv.status, 0, byEnv.stderr);
    assert.match(byEnv.stdout, /filtered/);
    const byFlag = await cli([...args, "--profile", "pipehook-dev"]);
    assert.equal(byFlag.status, 0, byFlag.stderr);
    // A profile named wins over keys in the environment, as in the AWS SDK for JavaScript.
    const overEnv = await cli(args, { AWS_PROFILE: "pipehook-dev", AWS_ACCESS_KEY_ID: "AKIAIGNORED", AWS_SECRET_ACCESS_KEY: "ignored-secret" });
    assert.equal(overEnv.status, 0, overEnv.stderr);
    // The default profile (wrong keys, another region) is what is used without either.
    const fallback = await cli(args);
    assert.equal(fallback.status, 2);
    assert.match(fallback.stderr, /^pipehook: (UnrecognizedClientException|InvalidSignatureException): /);
    const region = await cli([...args, "--region", REGION], { AWS_PROFILE: "pipehook-dev" });
    assert.equal(region.status, 0, region.stderr);
    const noProfile = await cli(args, { AWS_PROFILE: "nope" });
    assert.equal(noProfile.status, 2);
    assert.match(noProfile.stderr, /profile nope is in neither the shared credentials file nor the config file/);
    rmSync(path.join(home, ".aws"), { recursive: true, force: true });
  });

  it("delivery: the whole entry with every rule's trace; --json the entry and its body", async () => {
    const list = JSON.parse((await cli(["deliveries", "--endpoint-url", w.endpoint, "--webhook", "cli", "--json"], envKeys)).stdout).deliveries;
    const filtered = list.find((d) => d.outcome === "filtered");
    const r = await cli(["delivery", filtered.deliveryId, "--endpoint-url", w.endpoint, "--webhook", "cli"], envKeys);
    assert.equal(r.status, 0, r.stderr);
    for (const line of [
      `delivery: ${filtered.deliveryId}`,
      "event: push",
      "signature: x-hub-signature-256 header",
      "outcome: filtered",
      "status: 200",
      `reason: ${filtered.reason}`,
      "rule 1: fail $.ref",
      '  expected: "refs/heads/release"',
      '  selected: ["refs/heads/master"]',
    ]) {
      assert.ok(r.stdout.split("\n").includes(line), `${line}\n---\n${r.stdout}`);
    }
    assert.match(r.stdout, new RegExp(`^body: ${Buffer.byteLength(PUSH)} bytes, kept \\(redeliver with: pipehook redeliver ${filtered.deliveryId} --webhook cli\\)$`, "m"));
    const json = JSON.parse((await cli(["delivery", filtered.deliveryId, "--endpoint-url", w.endpoint, "--webhook", "cli", "--json"], envKeys)).stdout);
    assert.equal(json.delivery.body, PUSH);
    const refused = list.find((d) => d.outcome === "unauthorized");
    const shown = await cli(["delivery", refused.deliveryId, "--endpoint-url", w.endpoint, "--webhook", "cli"], envKeys);
    assert.match(shown.stdout, /^body: \d+ bytes, not kept, sha256 [0-9a-f]{64}$/m);
  });

  it("redeliver: exit 1 while the filter still fails; --dry-run after the fix starts nothing; then a real one starts an execution", async () => {
    const list = JSON.parse((await cli(["deliveries", "--endpoint-url", w.endpoint, "--webhook", "cli", "--json"], envKeys)).stdout).deliveries;
    const { deliveryId } = list.find((d) => d.outcome === "filtered");
    const args = ["redeliver", deliveryId, "--endpoint-url", w.endpoint, "--webhook", "cli"];
    const still = await cli([...args, "--dry-run"], envKeys);
    assert.equal(still.status, 1, still.stderr);
    assert.match(still.stdout, /^outcome: filtered$/m);

    await api("PutWebhook", { webhook: githubWebhook("cli", "cli", SECRET) });
    const dry = await cli([...args, "--dry-run"], envKeys);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run: nothing was started or logged\noutcome: accepted\nstatus: 200\nreason: accepted: the filter rule passed\nrevision: 6113728f27ae82c7b1a177c8d03f9e96e0adf246\nrule 1: pass \$\.ref$/m);
    assert.equal((await api("ListPipelineExecutions", { pipelineName: "cli" })).pipelineExecutionSummaries.length, 0);

    const real = await cli(args, envKeys);
    assert.equal(real.status, 0, real.stderr);
    const execution = /^execution: (\S+)$/m.exec(real.stdout)?.[1];
    assert.ok(execution, real.stdout);
    assert.match(real.stdout, /^redelivery: [0-9a-f-]{36}$/m);
    const { pipelineExecution } = await api("GetPipelineExecution", { pipelineName: "cli", pipelineExecutionId: execution });
    assert.match(pipelineExecution.trigger.triggerDetail, new RegExp(`redelivery [0-9a-f-]{36} of delivery ${deliveryId}\\)$`));

    const refused = list.find((d) => d.outcome === "unauthorized");
    const cannot = await cli(["redeliver", refused.deliveryId, "--endpoint-url", w.endpoint, "--webhook", "cli", "--dry-run"], envKeys);
    assert.equal(cannot.status, 2);
    assert.match(cannot.stderr, /^pipehook: ValidationException: Delivery '.*' of webhook 'cli' cannot be redelivered: it was refused when it arrived/);
  });

  it("errors: exit 2 with the AWS error, usage errors, no credentials, an unreachable Worker", async () => {
    const base = ["--endpoint-url", w.endpoint];
    const cases = [
      [["deliveries", ...base, "--webhook", "nope"], envKeys, /^pipehook: WebhookNotFoundException: Webhook 'nope' not found$/m],
      [["delivery", "01900000-0000-7000-8000-000000000000", ...base, "--webhook", "cli"], envKeys, /^pipehook: WebhookDeliveryNotFoundException: /m],
      [["delivery", "not-an-id", ...base, "--webhook", "cli"], envKeys, /^pipehook: ValidationException: 1 validation error detected: Value 'not-an-id' at 'deliveryId'/m],
      [["deliveries", ...base, "--webhook", "cli"], { ...envKeys, AWS_SECRET_ACCESS_KEY: "phk-cli-wrong-secret-0123456789" }, /^pipehook: InvalidSignatureException: /m],
      [["deliveries", ...base, "--webhook", "cli", "--region", "eu-west-1"], envKeys, /^pipehook: InvalidSignatureException: /m],
      [["deliveries", ...base, "--webhook", "cli"], { AWS_REGION: REGION }, /^pipehook: no AWS credentials: set AWS_ACCESS_KEY_ID/m],
      [["deliveries", ...base, "--webhook", "cli"], { AWS_ACCESS_KEY_ID: KEY.keyId, AWS_SECRET_ACCESS_KEY: KEY.secret }, /^pipehook: no region: /m],
      [["deliveries", "--webhook", "cli"], envKeys, /^pipehook: no endpoint: /m],
      [["deliveries", "--endpoint-url", "http://127.0.0.1:9", "--webhook", "cli"], envKeys, /^pipehook: cannot reach the Worker at http:\/\/127\.0\.0\.1:9: /m],
      [["deliveries", ...base], envKeys, /^pipehook: a webhook is needed: --webhook NAME$/m],
      [["delivery", ...base, "--webhook", "cli"], envKeys, /^pipehook: delivery takes one delivery ID/m],
      [["deliveries", ...base, "--webhook", "cli", "--dry-run"], envKeys, /^pipehook: option --dry-run does not apply to deliveries$/m],
      [["deliveries", ...base, "--webhook", "cli", "--max-results", "0"], envKeys, /^pipehook: --max-results must be a whole number from 1 to 100$/m],
    ];
    for (const [args, env, message] of cases) {
      const r = await cli(args, env);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(r.stdout, "");
    }
    // The endpoint from the AWS SDKs' variable.
    const byVariable = await cli(["deliveries", "--webhook", "cli"], { ...envKeys, AWS_ENDPOINT_URL_CODEPIPELINE: w.endpoint });
    assert.equal(byVariable.status, 0, byVariable.stderr);
  });

  it("pipehook/client: the same operations from JavaScript", async () => {
    const file = path.join(pkg.dir, `client-user-${process.pid}.mjs`);
    writeFileSync(file, 'export * from "pipehook/client";\n');
    const { PipehookClient, PipehookServiceError } = await import(pathToFileURL(file).href);
    const client = new PipehookClient({ endpoint: w.endpoint, region: REGION, credentials: { accessKeyId: KEY.keyId, secretAccessKey: KEY.secret } });
    const all = await client.listAllWebhookDeliveries({ webhookName: "cli" });
    assert.ok(all.length >= 3);
    assert.equal(all[0].redelivery, true);
    const { delivery } = await client.getWebhookDelivery({ webhookName: "cli", deliveryId: all[0].deliveryId });
    assert.equal(delivery.redeliveryOf, all.find((d) => d.outcome === "filtered").deliveryId);
    await assert.rejects(client.getWebhookDelivery({ webhookName: "nope", deliveryId: all[0].deliveryId }), (e) => {
      assert.ok(e instanceof PipehookServiceError);
      assert.equal(e.name, "WebhookNotFoundException");
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  it("prints no secret: neither a SecretToken nor the AWS secret key", () => {
    assert.ok(outputs.length > 20);
    for (const text of outputs) {
      assert.ok(!text.includes(SECRET_MARKER), text);
      assert.ok(!text.includes(KEY.secret), text);
      assert.ok(!text.includes("phk-cli-wrong-secret"), text);
    }
    assert.deepEqual(leaks(w.responses), []);
  });
});
