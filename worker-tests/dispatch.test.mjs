// Dispatch end to end under workerd (Miniflare) with real local KV and real local queues: a
// signed GitHub push starts (a) an HTTP target, a node:http server that verifies the Standard
// Webhooks signature with the `standardwebhooks` package, and (b) an AWS target, a second
// pipehook Worker with its own KV reached through DISPATCH_AWS_ENDPOINT, whose request is
// compared with botocore's SigV4Auth. Exactly once per X-GitHub-Delivery, retries, the
// dead-letter queue, and no secret in any answer, record, message or log line.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DISPATCH_CREDENTIALS,
  DISPATCH_SIGNING_SECRET,
  OAUTH_MARKER,
  SECRET_MARKER,
  callApi,
  deliverSigned,
  githubWebhook,
  leaks,
  pipelineDeclaration,
  startWorker,
} from "./lib/worker.mjs";
import {
  botocoreAuthorization,
  eventually,
  secretsIn,
  settled,
  startCapture,
  startDispatchWorker,
  startTarget,
  v2Pipeline,
  verifyStandardWebhook,
  PUSH,
} from "./lib/dispatch.mjs";

const SECRET = `${SECRET_MARKER}dispatch`;
const AFTER = JSON.parse(PUSH).after;
const AWS_REGION = "eu-west-1";
const AWS_ACCOUNT = "111122223333";

let w; // the Worker under test
let target; // the HTTP receiver: its path picks its behaviour
let down; // a receiver that drops every connection
let aws; // the second pipehook, as AWS CodePipeline
let capture; // in front of `aws`, keeping the requests as they arrived
const hooks = {};

const ok = (r, what) => {
  assert.equal(r.status, 200, `${what}: ${r.text}`);
  return r.json;
};
const api = (op, input) => callApi(w.endpoint, op, input);
/** The second pipehook's API, as AWS: its region, and the credentials the Worker dispatches with. */
const awsApi = (op, input) =>
  callApi(aws.endpoint, op, input, { region: AWS_REGION, keyId: DISPATCH_CREDENTIALS.accessKeyId, secret: DISPATCH_CREDENTIALS.secretAccessKey });

/** A pipeline with `tags`, and a GITHUB_HMAC webhook on it that accepts pushes to master. */
async function wire(name, tags, { v2 = true } = {}) {
  const pipeline = v2 ? v2Pipeline(name, pipelineDeclaration) : pipelineDeclaration(name, { branch: "master" });
  ok(await api("CreatePipeline", { pipeline, tags }), `CreatePipeline ${name}`);
  const { webhook } = ok(await api("PutWebhook", { webhook: githubWebhook(name, name, SECRET) }), `PutWebhook ${name}`);
  hooks[name] = webhook;
  return webhook;
}

const push = (name, deliveryId = crypto.randomUUID(), body = PUSH) =>
  deliverSigned(hooks[name].url, body, { secret: SECRET, headers: { "x-github-delivery": deliveryId } });

async function summaries(pipelineName) {
  return ok(await api("ListPipelineExecutions", { pipelineName }), "ListPipelineExecutions").pipelineExecutionSummaries;
}

const variableTags = [
  { key: "pipehook:variable:BRANCH", value: "$.ref" },
  { key: "pipehook:variable:COMMIT", value: "$.after" },
  { key: "pipehook:variable:AUTHORS", value: "$.commits[*].author.name" },
  { key: "pipehook:variable:NOTHING", value: "$.no.such.member" },
];
const expectedVariables = { BRANCH: "refs/heads/master", COMMIT: AFTER, AUTHORS: '["Codertocat"]' };

before(async () => {
  const reached = new Map();
  target = await startTarget((n, req) => {
    const p = new URL(req.url, "http://x").pathname;
    const times = (reached.get(p) ?? 0) + 1;
    reached.set(p, times);
    if (p.startsWith("/flaky")) return times <= 2 ? { status: 503, body: "busy" } : { status: 200 };
    if (p.startsWith("/reject")) return { status: 400, body: "this receiver does not take pushes" };
    // A receiver that knows the signing secret, and says it in an error.
    if (p.startsWith("/echo")) return { status: 401, body: `signature ${req.headers["webhook-signature"]} does not verify with ${DISPATCH_SIGNING_SECRET}` };
    return { status: 200, body: "ok" };
  });
  down = await startTarget(() => "reset");
  aws = await startWorker({
    vars: {
      AWS_REGION,
      AWS_ACCOUNT_ID: AWS_ACCOUNT,
      AWS_ACCESS_KEY_ID: DISPATCH_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DISPATCH_CREDENTIALS.secretAccessKey,
    },
  });
  capture = await startCapture(aws.endpoint);
  w = await startDispatchWorker({ vars: { DISPATCH_AWS_ENDPOINT: capture.url } });
});

after(async () => {
  await w?.close();
  await aws?.close();
  await capture?.close();
  await target?.close();
  await down?.close();
});

const requestsTo = (prefix) => target.requests.filter((r) => r.url.startsWith(prefix));

describe("an HTTP target", () => {
  it("receives_a_standard_webhooks_signed_post_and_the_execution_succeeds", async () => {
    await wire("to-http", [{ key: "pipehook:dispatch", value: `${target.url}/ok/to-http?k=v` }, ...variableTags]);
    const delivery = crypto.randomUUID();
    const r = await push("to-http", delivery);
    assert.equal(r.status, 200, r.text);
    const id = r.json.pipelineExecutionId;
    const execution = await settled(w.endpoint, "to-http", id);
    assert.equal(execution.status, "Succeeded", execution.statusSummary);
    assert.equal(execution.statusSummary, `Delivered: POST ${target.url}/… answered HTTP 200 (attempt 1)`);

    const [sent, ...more] = requestsTo("/ok/to-http");
    assert.equal(more.length, 0);
    assert.equal(sent.method, "POST");
    assert.equal(sent.url, "/ok/to-http?k=v");
    assert.equal(sent.headers["content-type"], "application/json");
    assert.equal(sent.headers["webhook-id"], id);
    const payload = verifyStandardWebhook(sent);
    assert.deepEqual(payload, {
      pipelineName: "to-http",
      pipelineExecutionId: id,
      webhookName: "to-http",
      webhookArn: hooks["to-http"].arn,
      deliveryId: delivery,
      event: "push",
      sourceRevision: AFTER,
      variables: expectedVariables,
      trigger: { triggerType: "Webhook", triggerDetail: hooks["to-http"].arn },
    });
    // A tampered body does not verify.
    assert.throws(() => verifyStandardWebhook({ ...sent, body: sent.body.replace("to-http", "to-hTtp") }));

    // The record shows the variables it was started with, and the listing agrees with it.
    assert.deepEqual(
      execution.variables,
      Object.entries(expectedVariables).map(([name, resolvedValue]) => ({ name, resolvedValue })),
    );
    assert.equal(execution.pipehookDispatch, undefined, "pipehook's own state is not answered");
    const [summary] = await summaries("to-http");
    assert.equal(summary.pipelineExecutionId, id);
    assert.equal(summary.status, "Succeeded");
    assert.equal(summary.statusSummary, execution.statusSummary);
    assert.ok(summary.lastUpdateTime >= summary.startTime);
  });
});

describe("an AWS target (a second pipehook as CodePipeline)", () => {
  it("starts_the_pipeline_with_its_variables_and_source_revision", async () => {
    // The "real" pipeline, in the other pipehook: V2, its source action named as pipehook's.
    ok(await awsApi("CreatePipeline", { pipeline: v2Pipeline("real-app", pipelineDeclaration) }), "real pipeline");
    const arn = `arn:aws:codepipeline:${AWS_REGION}:${AWS_ACCOUNT}:real-app`;
    await wire("to-aws", [{ key: "pipehook:dispatch", value: arn }, ...variableTags]);
    const r = await push("to-aws");
    assert.equal(r.status, 200, r.text);
    const id = r.json.pipelineExecutionId;
    const execution = await settled(w.endpoint, "to-aws", id);
    assert.equal(execution.status, "Succeeded", execution.statusSummary);

    const listed = ok(await awsApi("ListPipelineExecutions", { pipelineName: "real-app" }), "list").pipelineExecutionSummaries;
    assert.equal(listed.length, 1);
    const real = listed[0];
    assert.equal(execution.statusSummary, `Started ${arn} as AWS execution ${real.pipelineExecutionId} (attempt 1)`);
    assert.equal(real.trigger.triggerType, "StartPipelineExecution");
    assert.deepEqual(real.sourceRevisions, [{ actionName: "Source", revisionId: AFTER }]);
    const { pipelineExecution } = ok(
      await awsApi("GetPipelineExecution", { pipelineName: "real-app", pipelineExecutionId: real.pipelineExecutionId }),
      "get",
    );
    assert.deepEqual(
      pipelineExecution.variables,
      Object.entries(expectedVariables).map(([name, resolvedValue]) => ({ name, resolvedValue })),
    );
    assert.equal(pipelineExecution.artifactRevisions[0].name, "Source");
    assert.equal(pipelineExecution.artifactRevisions[0].revisionId, AFTER);

    // What was sent: StartPipelineExecution, JSON 1.1, the execution id as clientRequestToken.
    const [sent] = capture.requests;
    assert.equal(sent.headers["x-amz-target"], "CodePipeline_20150709.StartPipelineExecution");
    assert.equal(sent.headers["content-type"], "application/x-amz-json-1.1");
    assert.equal(sent.headers["x-amz-security-token"], DISPATCH_CREDENTIALS.sessionToken);
    assert.deepEqual(JSON.parse(sent.body), {
      name: "real-app",
      clientRequestToken: id,
      variables: Object.entries(expectedVariables).map(([name, value]) => ({ name, value })),
      sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: AFTER }],
    });
  });

  it("signs_the_request_exactly_as_botocores_sigv4auth_at_the_same_time", () => {
    const [sent] = capture.requests;
    assert.ok(sent, "the AWS start was captured");
    const expected = botocoreAuthorization(sent, { region: AWS_REGION });
    assert.match(expected, /^AWS4-HMAC-SHA256 Credential=AKIAPHKDISPATCH00001\/\d{8}\/eu-west-1\/codepipeline\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
    assert.equal(sent.headers.authorization, expected);
  });

  it("a_v1_pipeline_gets_no_source_revision_override_and_a_refusal_is_failed_with_awss_reason", async () => {
    const arn = `arn:aws:codepipeline:${AWS_REGION}:${AWS_ACCOUNT}:real-app`;
    await wire("to-aws-v1", [{ key: "pipehook:dispatch", value: arn }], { v2: false });
    const before = capture.requests.length;
    const id = (await push("to-aws-v1")).json.pipelineExecutionId;
    assert.equal((await settled(w.endpoint, "to-aws-v1", id)).status, "Succeeded");
    assert.deepEqual(JSON.parse(capture.requests[before].body), { name: "real-app", clientRequestToken: id });

    const missing = `arn:aws:codepipeline:${AWS_REGION}:${AWS_ACCOUNT}:no-such-pipeline`;
    await wire("to-aws-missing", [{ key: "pipehook:dispatch", value: missing }]);
    const gone = (await push("to-aws-missing")).json.pipelineExecutionId;
    const failed = await settled(w.endpoint, "to-aws-missing", gone);
    assert.equal(failed.status, "Failed");
    assert.match(failed.statusSummary, /^Failed \(HTTP 400 PipelineNotFoundException: Account '111122223333' does not have a pipeline with name 'no-such-pipeline', not retried\) at attempt 1: StartPipelineExecution of arn:/);
  });
});

describe("exactly once per X-GitHub-Delivery", () => {
  it("a_redelivery_answers_the_same_execution_and_starts_nothing_new", async () => {
    await wire("once", [{ key: "pipehook:dispatch", value: `${target.url}/ok/once` }]);
    const delivery = crypto.randomUUID();
    const first = await push("once", delivery);
    const id = first.json.pipelineExecutionId;
    await settled(w.endpoint, "once", id);
    const again = await push("once", delivery);
    assert.equal(again.status, 200);
    assert.equal(again.json.pipelineExecutionId, id);
    // Give a second start every chance to happen.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(requestsTo("/ok/once").length, 1);
    assert.deepEqual((await summaries("once")).map((s) => s.pipelineExecutionId), [id]);
    // Another delivery is another execution.
    const other = await push("once");
    assert.notEqual(other.json.pipelineExecutionId, id);
    await settled(w.endpoint, "once", other.json.pipelineExecutionId);
    assert.equal(requestsTo("/ok/once").length, 2);
  });

  it("ten_parallel_copies_of_one_delivery_make_one_execution_and_one_post", async () => {
    await wire("parallel", [{ key: "pipehook:dispatch", value: `${target.url}/ok/parallel` }]);
    const delivery = crypto.randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => push("parallel", delivery)));
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
    const ids = new Set(answers.map((a) => a.json.pipelineExecutionId));
    assert.equal(ids.size, 1);
    const [id] = ids;
    assert.equal((await settled(w.endpoint, "parallel", id)).status, "Succeeded");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(requestsTo("/ok/parallel").length, 1);
    assert.deepEqual((await summaries("parallel")).map((s) => s.pipelineExecutionId), [id]);
  });

  it("a_pipeline_without_a_target_records_one_execution_per_delivery_and_sends_nothing", async () => {
    // SPEC §2.5: at most one execution per X-GitHub-Delivery, target or not; nothing is queued.
    await wire("record-only", []);
    const delivery = crypto.randomUUID();
    const answers = [await push("record-only", delivery), await push("record-only", delivery)];
    const ids = answers.map((a) => a.json.pipelineExecutionId);
    assert.equal(ids[0], ids[1]);
    assert.deepEqual((await summaries("record-only")).map((s) => s.pipelineExecutionId), [ids[0]]);
    const { keys } = await w.kv.list({ prefix: "execution-id/record-only/" });
    assert.equal(keys.length, 1);
    const [summary] = await summaries("record-only");
    assert.equal(summary.status, "InProgress");
    assert.equal(summary.statusSummary, undefined);
  });
});

describe("retries and the record", () => {
  it("a_target_answering_503_twice_then_200_is_delivered_on_the_third_attempt", async () => {
    await wire("flaky", [{ key: "pipehook:dispatch", value: `${target.url}/flaky/a` }]);
    const id = (await push("flaky")).json.pipelineExecutionId;
    const execution = await settled(w.endpoint, "flaky", id);
    assert.equal(execution.status, "Succeeded", execution.statusSummary);
    assert.match(execution.statusSummary, /\(attempt 3\)$/);
    const sent = requestsTo("/flaky/a");
    assert.equal(sent.length, 3);
    assert.deepEqual(new Set(sent.map((s) => s.headers["webhook-id"])), new Set([id]));
    for (const s of sent) verifyStandardWebhook(s);
  });

  it("a_target_answering_400_gets_one_attempt_and_the_execution_fails_with_the_reason", async () => {
    await wire("rejected", [{ key: "pipehook:dispatch", value: `${target.url}/reject/x` }]);
    const id = (await push("rejected")).json.pipelineExecutionId;
    const execution = await settled(w.endpoint, "rejected", id);
    assert.equal(execution.status, "Failed");
    assert.equal(execution.statusSummary, `Failed (HTTP 400: this receiver does not take pushes, not retried) at attempt 1: POST ${target.url}/…`);
    assert.equal(requestsTo("/reject/x").length, 1);
    const letter = await eventually(async () => (await w.deadLetters()).find((l) => l.message.execution.id === id), { what: "the dead letter" });
    assert.equal(letter.reason, "HTTP 400: this receiver does not take pushes");
    assert.equal(letter.attempts, 1);
  });

  it("a_target_that_is_down_gets_5_attempts_then_failed_and_the_dead_letter_queue", async () => {
    await wire("down", [{ key: "pipehook:dispatch", value: `${down.url}/hook` }]);
    const id = (await push("down")).json.pipelineExecutionId;
    const execution = await settled(w.endpoint, "down", id);
    assert.equal(execution.status, "Failed");
    assert.match(execution.statusSummary, /^Failed after 5 attempts \(network error: .+\): POST http:\/\/127\.0\.0\.1:\d+\/…$/);
    assert.equal(down.requests.length, 5);
    const letter = await eventually(async () => (await w.deadLetters()).find((l) => l.message.execution.id === id), { what: "the dead letter" });
    assert.equal(letter.attempts, 5);
    assert.equal(letter.message.target, `${down.url}/hook`);
    const [summary] = await summaries("down");
    assert.equal(summary.status, "Failed");
    assert.equal(summary.statusSummary, execution.statusSummary);
  });

  it("a_variable_over_1000_characters_fails_the_execution_without_a_start", async () => {
    await wire("long-variable", [
      { key: "pipehook:dispatch", value: `${target.url}/ok/long` },
      { key: "pipehook:variable:MESSAGE", value: "$.head_commit.message" },
    ]);
    const body = JSON.parse(PUSH);
    body.head_commit = { ...(body.head_commit ?? {}), message: "m".repeat(1001) };
    const id = (await push("long-variable", crypto.randomUUID(), JSON.stringify(body))).json.pipelineExecutionId;
    const { pipelineExecution } = ok(await api("GetPipelineExecution", { pipelineName: "long-variable", pipelineExecutionId: id }), "get");
    assert.equal(pipelineExecution.status, "Failed");
    assert.match(pipelineExecution.statusSummary, /^Not started \(variable 'MESSAGE' selected a value of 1001 characters; pipeline variables are at most 1000\)/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(requestsTo("/ok/long").length, 0);
  });

  it("an_answer_that_quotes_the_signing_secret_is_recorded_without_it", async () => {
    await wire("echo", [{ key: "pipehook:dispatch", value: `${target.url}/echo/x` }]);
    const id = (await push("echo")).json.pipelineExecutionId;
    const execution = await settled(w.endpoint, "echo", id);
    assert.equal(execution.status, "Failed");
    assert.match(execution.statusSummary, /^Failed \(HTTP 401: signature v1,\S+ does not verify with \*\*\*\*, not retried\)/);
  });
});

describe("secrets", () => {
  it("no_answer_record_message_or_log_line_holds_a_secret", async () => {
    // (Every test above waited for its starts to settle.)
    assert.deepEqual(leaks(w.responses), [], "answers");
    const entries = (await w.kvEntries()).map((e) => ({ name: e.name, text: `${e.name} ${e.value} ${JSON.stringify(e.metadata)}` }));
    const executions = entries.filter((e) => e.name.startsWith("execution"));
    assert.ok(executions.length > 10);
    assert.deepEqual(secretsIn(executions.map((e) => e.text)), [], "execution records");
    // The webhook records and views hold their SecretToken (deliveries need it), the pipeline
    // records their action's OAuthToken (as AWS keeps it), and nothing else secret.
    assert.deepEqual(secretsIn(entries.map((e) => e.text)), [SECRET_MARKER, OAUTH_MARKER], "every record");
    const letters = await w.deadLetters();
    assert.ok(letters.length >= 2);
    assert.deepEqual(secretsIn(letters.map((l) => JSON.stringify(l))), [], "dead letters");
    assert.ok(w.logs.join("").includes('"dispatch":"Succeeded"'), "the consumer logs its outcomes");
    assert.deepEqual(secretsIn(w.logs), [], "logs");
    // What the HTTP receivers got carries the signature, never the secret it is made with.
    assert.deepEqual(secretsIn(target.requests.map((r) => JSON.stringify(r))), [], "HTTP requests");
    // The AWS target gets the access key id in the Authorization header, as SigV4 sends it, and nothing secret.
    const sentToAws = capture.requests.map((r) => JSON.stringify(r));
    assert.deepEqual(secretsIn(sentToAws).filter((s) => s !== DISPATCH_CREDENTIALS.accessKeyId && s !== DISPATCH_CREDENTIALS.sessionToken), []);
  });
});
