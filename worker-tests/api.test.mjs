// The management API through @aws-sdk/client-codepipeline (and raw signed
// requests for what the SDK will not send), against the built Worker in
// Miniflare with a real local KV namespace.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  DeletePipelineCommand,
  DeleteWebhookCommand,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  ListPipelineExecutionsCommand,
  ListPipelinesCommand,
  ListTagsForResourceCommand,
  ListWebhooksCommand,
  PutWebhookCommand,
  RegisterWebhookWithThirdPartyCommand,
  StartPipelineExecutionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdatePipelineCommand,
} from "@aws-sdk/client-codepipeline";
import {
  ACCOUNT,
  CREDENTIALS,
  OAUTH_MARKER,
  REGION,
  SECRET_MARKER,
  callApi,
  deliverSigned,
  githubWebhook,
  leaks,
  pipelineDeclaration,
  startWorker,
} from "./lib/worker.mjs";

let w;
let client;

function clientWith(credentials) {
  return new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials, maxAttempts: 1 });
}

async function rejects(promise, name, status = 400) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, status);
    assert.ok(e.message && e.message.length > 0, "error has a message");
    assert.ok(!e.message.includes(SECRET_MARKER), "no secret in the message");
    return e;
  }
  assert.fail(`expected ${name}, but the call succeeded`);
}

before(async () => {
  w = await startWorker();
  client = clientWith(CREDENTIALS);
  await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("app") }));
});

after(async () => {
  await w?.close();
});

describe("pipelines", () => {
  it("create_pipeline_then_get_round_trips_with_version_1", async () => {
    const got = await client.send(new GetPipelineCommand({ name: "app" }));
    assert.equal(got.pipeline.name, "app");
    assert.equal(got.pipeline.version, 1);
    assert.equal(got.pipeline.stages[0].actions[0].configuration.Branch, "main");
    assert.equal(got.metadata.pipelineArn, `arn:aws:codepipeline:${REGION}:${ACCOUNT}:app`);
    assert.ok(got.metadata.created instanceof Date);
  });

  it("create_pipeline_existing_name_is_name_in_use", async () => {
    await rejects(client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("app") })), "PipelineNameInUseException");
  });

  it("create_pipeline_one_stage_is_invalid_structure", async () => {
    const p = pipelineDeclaration("one-stage");
    p.stages.pop();
    await rejects(client.send(new CreatePipelineCommand({ pipeline: p })), "InvalidStructureException");
  });

  it("create_pipeline_duplicate_stage_is_invalid_stage_declaration", async () => {
    const p = pipelineDeclaration("dup-stage");
    p.stages[1].name = "Source";
    await rejects(client.send(new CreatePipelineCommand({ pipeline: p })), "InvalidStageDeclarationException");
  });

  it("create_pipeline_duplicate_action_is_invalid_action_declaration", async () => {
    const p = pipelineDeclaration("dup-action");
    p.stages[1].actions.push({ ...p.stages[1].actions[0] });
    await rejects(client.send(new CreatePipelineCommand({ pipeline: p })), "InvalidActionDeclarationException");
  });

  it("create_pipeline_bad_name_is_validation_and_nothing_stored", async () => {
    const e = await rejects(client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("bad name") })), "ValidationException");
    assert.match(e.message, /^1 validation error detected: Value 'bad name' at 'pipeline.name'/);
    assert.equal(await w.kv.get("pipeline/bad name"), null);
  });

  it("update_pipeline_bumps_version_and_missing_is_not_found", async () => {
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("upd") }));
    const up = await client.send(new UpdatePipelineCommand({ pipeline: pipelineDeclaration("upd", { branch: "dev" }) }));
    assert.equal(up.pipeline.version, 2);
    const got = await client.send(new GetPipelineCommand({ name: "upd" }));
    assert.equal(got.pipeline.stages[0].actions[0].configuration.Branch, "dev");
    await rejects(client.send(new GetPipelineCommand({ name: "upd", version: 1 })), "PipelineVersionNotFoundException");
    await rejects(client.send(new UpdatePipelineCommand({ pipeline: pipelineDeclaration("nope") })), "PipelineNotFoundException");
  });

  it("get_pipeline_missing_is_pipeline_not_found", async () => {
    await rejects(client.send(new GetPipelineCommand({ name: "missing" })), "PipelineNotFoundException");
  });

  it("list_pipelines_pages_and_delete_is_idempotent", async () => {
    for (const n of ["lp-1", "lp-2", "lp-3"]) await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration(n) }));
    const names = [];
    let nextToken;
    do {
      const page = await client.send(new ListPipelinesCommand({ maxResults: 2, nextToken }));
      assert.ok(page.pipelines.length <= 2);
      names.push(...page.pipelines.map((p) => p.name));
      nextToken = page.nextToken;
    } while (nextToken);
    for (const n of ["app", "lp-1", "lp-2", "lp-3"]) assert.ok(names.includes(n), n);
    await client.send(new DeletePipelineCommand({ name: "lp-3" }));
    await client.send(new DeletePipelineCommand({ name: "lp-3" }));
    await rejects(client.send(new GetPipelineCommand({ name: "lp-3" })), "PipelineNotFoundException");
    await rejects(client.send(new ListPipelinesCommand({ nextToken: "garbage" })), "InvalidNextTokenException");
  });

  it("start_pipeline_execution_is_listed_and_gettable", async () => {
    const started = Date.now();
    const { pipelineExecutionId } = await client.send(new StartPipelineExecutionCommand({ name: "app" }));
    // A version 7 UUID: its first 48 bits are the start time (store.rs keys the execution by it).
    assert.match(pipelineExecutionId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const at = parseInt(pipelineExecutionId.replace("-", "").slice(0, 12), 16);
    assert.ok(at >= started - 1000 && at <= Date.now() + 1000, `${at} is the start time`);
    const got = await client.send(new GetPipelineExecutionCommand({ pipelineName: "app", pipelineExecutionId }));
    assert.equal(got.pipelineExecution.status, "InProgress");
    assert.equal(got.pipelineExecution.trigger.triggerType, "StartPipelineExecution");
    const list = await client.send(new ListPipelineExecutionsCommand({ pipelineName: "app" }));
    assert.equal(list.pipelineExecutionSummaries[0].pipelineExecutionId, pipelineExecutionId);
    assert.ok(list.pipelineExecutionSummaries[0].startTime instanceof Date);
    await rejects(
      client.send(new GetPipelineExecutionCommand({ pipelineName: "app", pipelineExecutionId: "00000000-0000-4000-8000-000000000000" })),
      "PipelineExecutionNotFoundException",
    );
    await rejects(client.send(new StartPipelineExecutionCommand({ name: "missing" })), "PipelineNotFoundException");
    // clientRequestToken makes it idempotent.
    const a = await client.send(new StartPipelineExecutionCommand({ name: "app", clientRequestToken: "retry-1" }));
    const b = await client.send(new StartPipelineExecutionCommand({ name: "app", clientRequestToken: "retry-1" }));
    assert.equal(a.pipelineExecutionId, b.pipelineExecutionId);
    await rejects(client.send(new StartPipelineExecutionCommand({ name: "app", clientRequestToken: "bad token!" })), "ValidationException");
  });
});

describe("webhooks", () => {
  it("put_webhook_creates_with_url_arn_and_masked_secret", async () => {
    const secret = `${SECRET_MARKER}create`;
    const { webhook } = await client.send(new PutWebhookCommand({ webhook: githubWebhook("hook-a", "app", secret), tags: [{ key: "team", value: "ci" }] }));
    assert.match(webhook.url, new RegExp(`^${w.endpoint}/trigger\\?t=[0-9a-f]{64}&v=1$`));
    assert.equal(webhook.arn, `arn:aws:codepipeline:${REGION}:${ACCOUNT}:webhook:hook-a`);
    assert.equal(webhook.definition.authenticationConfiguration.SecretToken, "****");
    assert.deepEqual(webhook.tags, [{ key: "team", value: "ci" }]);
    assert.equal(webhook.lastTriggered, undefined);
    // Stored (a delivery needs it), never answered.
    const stored = JSON.parse(await w.kv.get("webhook/hook-a"));
    assert.equal(stored.definition.authenticationConfiguration.SecretToken, secret);
  });

  it("put_webhook_update_keeps_url_and_recreate_gives_new_url", async () => {
    const first = (await client.send(new PutWebhookCommand({ webhook: githubWebhook("hook-b", "app", `${SECRET_MARKER}b1`) }))).webhook;
    const updated = (await client.send(new PutWebhookCommand({ webhook: githubWebhook("hook-b", "app", `${SECRET_MARKER}b2`, []) }))).webhook;
    assert.equal(updated.url, first.url);
    assert.deepEqual(updated.definition.filters, []);
    await client.send(new DeleteWebhookCommand({ name: "hook-b" }));
    await client.send(new DeleteWebhookCommand({ name: "hook-b" })); // idempotent
    const listed = await client.send(new ListWebhooksCommand({}));
    assert.ok(!listed.webhooks.some((x) => x.definition.name === "hook-b"));
    const again = (await client.send(new PutWebhookCommand({ webhook: githubWebhook("hook-b", "app", `${SECRET_MARKER}b3`) }))).webhook;
    assert.notEqual(again.url, first.url);
    // The old URL is dead.
    const res = await fetch(first.url, { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
  });

  it("put_webhook_every_error_type", async () => {
    const ok = () => githubWebhook("err-hook", "app", `${SECRET_MARKER}err`);
    const cases = [
      ["ValidationException", { webhook: { ...ok(), name: "bad name" } }],
      ["ValidationException", { webhook: { ...ok(), filters: undefined } }],
      ["ValidationException", { webhook: { ...ok(), targetAction: "Build" } }],
      ["ValidationException", {}],
      ["InvalidWebhookFilterPatternException", { webhook: { ...ok(), filters: [{ jsonPath: "$.[", matchEquals: "x" }] } }],
      ["InvalidWebhookAuthenticationParametersException", { webhook: { ...ok(), authenticationConfiguration: {} } }],
      ["InvalidWebhookAuthenticationParametersException", { webhook: { ...ok(), authentication: "IP", authenticationConfiguration: { AllowedIPRange: "not-a-cidr" } } }],
      ["PipelineNotFoundException", { webhook: { ...ok(), targetPipeline: "no-such-pipeline" } }],
      ["TooManyTagsException", { webhook: ok(), tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" })) }],
      ["InvalidTagsException", { webhook: ok(), tags: [{ key: "aws:reserved", value: "v" }] }],
    ];
    for (const [name, input] of cases) {
      await rejects(client.send(new PutWebhookCommand(input)), name);
    }
    // Refused input changes nothing.
    assert.equal(await w.kv.get("webhook/err-hook"), null);
  });

  it("put_webhook_error_has_aws_headers_and_body", async () => {
    const r = await callApi(w.endpoint, "PutWebhook", { webhook: { ...githubWebhook("bad name", "app", `${SECRET_MARKER}x`) } });
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, "ValidationException");
    assert.equal(r.headers.get("x-amzn-errortype"), "ValidationException");
    assert.match(r.headers.get("x-amzn-requestid"), /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.get("content-type"), "application/x-amz-json-1.1");
    assert.equal(
      r.json.message,
      "1 validation error detected: Value 'bad name' at 'webhook.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9.@\\-_]+",
    );
  });

  it("list_webhooks_paginates_120_with_max_results_50", async () => {
    const names = Array.from({ length: 120 }, (_, i) => `page-${String(i).padStart(3, "0")}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(
        names.slice(i, i + 20).map((n) =>
          client.send(new PutWebhookCommand({ webhook: { ...githubWebhook(n, "app", `${SECRET_MARKER}${n}`) } })),
        ),
      );
    }
    const seen = [];
    const sizes = [];
    let NextToken;
    do {
      const page = await client.send(new ListWebhooksCommand({ MaxResults: 50, NextToken }));
      sizes.push(page.webhooks.length);
      for (const hook of page.webhooks) {
        assert.equal(hook.definition.authenticationConfiguration.SecretToken, "****");
        seen.push(hook.definition.name);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    const pages = seen.filter((n) => n.startsWith("page-"));
    assert.deepEqual(pages, names, "every webhook exactly once, in name order");
    assert.ok(sizes.slice(0, -1).every((s) => s === 50), `pages of 50: ${sizes}`);
    await rejects(client.send(new ListWebhooksCommand({ MaxResults: 0 })), "ValidationException");
    await rejects(client.send(new ListWebhooksCommand({ MaxResults: 101 })), "ValidationException");
    await rejects(client.send(new ListWebhooksCommand({ NextToken: "pipelines:abc" })), "InvalidNextTokenException");
  });

  it("register_webhook_with_third_party_unknown_is_webhook_not_found", async () => {
    await rejects(client.send(new RegisterWebhookWithThirdPartyCommand({ webhookName: "none" })), "WebhookNotFoundException");
    // Registering an existing webhook calls GitHub: github.test.mjs, against a mock of its API.
  });
});

describe("tags", () => {
  const arn = `arn:aws:codepipeline:${REGION}:${ACCOUNT}:webhook:hook-a`;

  it("tag_untag_list_on_webhook_arn", async () => {
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "env", value: "prod" }, { key: "team", value: "platform" }] }));
    let { tags } = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(tags, [{ key: "team", value: "platform" }, { key: "env", value: "prod" }]);
    await client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["team"] }));
    ({ tags } = await client.send(new ListTagsForResourceCommand({ resourceArn: arn })));
    assert.deepEqual(tags, [{ key: "env", value: "prod" }]);
    // ListWebhooks shows them too, and the definition is untouched.
    const listed = (await client.send(new ListWebhooksCommand({}))).webhooks.find((h) => h.arn === arn);
    assert.deepEqual(listed.tags, [{ key: "env", value: "prod" }]);
  });

  it("tag_resource_errors", async () => {
    await rejects(client.send(new TagResourceCommand({ resourceArn: `${arn}-missing`, tags: [{ key: "a", value: "b" }] })), "ResourceNotFoundException");
    await rejects(client.send(new TagResourceCommand({ resourceArn: "not-an-arn", tags: [{ key: "a", value: "b" }] })), "InvalidArnException");
    await rejects(client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "aws:x", value: "b" }] })), "InvalidTagsException");
    const many = Array.from({ length: 50 }, (_, i) => ({ key: `t${i}`, value: "v" }));
    await rejects(client.send(new TagResourceCommand({ resourceArn: arn, tags: many })), "TooManyTagsException");
    await rejects(client.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:codepipeline:eu-west-1:${ACCOUNT}:webhook:hook-a` })), "ResourceNotFoundException");
  });

  it("tags_on_pipeline_arn", async () => {
    const parn = `arn:aws:codepipeline:${REGION}:${ACCOUNT}:app`;
    await client.send(new TagResourceCommand({ resourceArn: parn, tags: [{ key: "owner", value: "me" }] }));
    const { tags } = await client.send(new ListTagsForResourceCommand({ resourceArn: parn }));
    assert.deepEqual(tags, [{ key: "owner", value: "me" }]);
  });
});

describe("authentication", () => {
  it("unsigned_request_is_missing_authentication_token_and_changes_nothing", async () => {
    const res = await fetch(`${w.endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "CodePipeline_20150709.CreatePipeline" },
      body: JSON.stringify({ pipeline: pipelineDeclaration("unsigned") }),
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    assert.equal((await res.json()).__type, "MissingAuthenticationTokenException");
    assert.equal(await w.kv.get("pipeline/unsigned"), null);
  });

  it("wrong_secret_is_invalid_signature_and_changes_nothing", async () => {
    const bad = clientWith({ accessKeyId: "test", secretAccessKey: "not-the-secret" });
    await rejects(bad.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("badsig") })), "InvalidSignatureException");
    assert.equal(await w.kv.get("pipeline/badsig"), null);
  });

  it("unknown_key_is_unrecognized_client", async () => {
    const bad = clientWith({ accessKeyId: "AKIAUNKNOWN", secretAccessKey: "test" });
    await rejects(bad.send(new ListWebhooksCommand({})), "UnrecognizedClientException");
  });

  it("expired_future_tampered_and_misscoped_signatures_are_invalid", async () => {
    const input = { pipeline: pipelineDeclaration("raw-bad") };
    for (const [opts, pattern] of [
      [{ time: Date.now() - 20 * 60 * 1000 }, /^Signature expired/],
      [{ time: Date.now() + 20 * 60 * 1000 }, /^Signature not yet current/],
      [{ tamperBody: true }, /does not match/],
      [{ region: "eu-west-1" }, /region/],
      [{ service: "s3" }, /service/],
    ]) {
      const r = await callApi(w.endpoint, "CreatePipeline", input, opts);
      assert.equal(r.status, 400, JSON.stringify(opts));
      assert.equal(r.json.__type, "InvalidSignatureException");
      assert.match(r.json.message, pattern);
    }
    assert.equal(await w.kv.get("pipeline/raw-bad"), null);
    const good = await callApi(w.endpoint, "CreatePipeline", input, { time: Date.now() - 10 * 60 * 1000 });
    assert.equal(good.status, 200, "inside the 15-minute window");
  });

  it("malformed_authorization_is_incomplete_signature", async () => {
    const res = await fetch(`${w.endpoint}/`, {
      method: "POST",
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/codepipeline/aws4_request", "x-amz-target": "CodePipeline_20150709.ListWebhooks" },
      body: "{}",
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).__type, "IncompleteSignatureException");
  });
});

describe("protocol", () => {
  it("unknown_operation_and_bad_json", async () => {
    let r = await callApi(w.endpoint, "LaunchRockets", {});
    assert.equal(r.json.__type, "UnknownOperationException");
    r = await callApi(w.endpoint, "ListWebhooks", null, { rawBody: "{not json" });
    assert.equal(r.json.__type, "SerializationException");
    r = await callApi(w.endpoint, "ListWebhooks", null, { rawBody: "[1,2]" });
    assert.equal(r.json.__type, "SerializationException");
  });

  it("wrong_member_types_are_refused_not_crashed", async () => {
    for (const input of [{ name: 7 }, { name: ["x"] }, { name: null }, { name: "x".repeat(101) }]) {
      const r = await callApi(w.endpoint, "DeleteWebhook", input);
      assert.equal(r.status, 400);
      assert.ok(["SerializationException", "ValidationException"].includes(r.json.__type), r.text);
    }
    const weird = [null, 1, "s", [], { webhook: [] }, { webhook: { name: {} } }, { webhook: { filters: "x" } }];
    for (const input of weird) {
      const r = await callApi(w.endpoint, "PutWebhook", input);
      assert.equal(r.status, 400, r.text);
    }
  });

  it("garbage_input_to_every_operation_is_a_4xx_never_a_crash", async () => {
    const operations = [
      "PutWebhook", "ListWebhooks", "DeleteWebhook", "RegisterWebhookWithThirdParty", "DeregisterWebhookWithThirdParty",
      "CreatePipeline", "GetPipeline", "UpdatePipeline", "DeletePipeline", "ListPipelines",
      "StartPipelineExecution", "GetPipelineExecution", "ListPipelineExecutions",
      "TagResource", "UntagResource", "ListTagsForResource",
    ];
    const deep = "[".repeat(5000) + "]".repeat(5000);
    const bodies = [
      "{}", "null", "[]", '"s"', "1e999", deep, `{"a":${deep}}`,
      JSON.stringify({ name: "\u0000\ud800", pipeline: { name: "x", stages: [null, 1, {}] }, webhook: { filters: [null] } }),
      JSON.stringify({ resourceArn: "arn:aws:codepipeline:us-east-1:123456789012:", tags: [{}], tagKeys: [1], maxResults: -1, MaxResults: 1.5, nextToken: "", NextToken: "x" }),
      JSON.stringify({ pipelineName: "app", pipelineExecutionId: "ZZ", name: "x".repeat(900000) }),
    ];
    for (const op of operations) {
      for (const rawBody of bodies) {
        const r = await callApi(w.endpoint, op, null, { rawBody });
        assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${op} ${rawBody.slice(0, 40)} -> ${r.status} ${r.text.slice(0, 200)}`);
        assert.ok(r.json && (r.status === 200 || typeof r.json.__type === "string"), `${op}: ${r.text.slice(0, 200)}`);
      }
    }
  });

  it("get_root_serves_the_validator_page", async () => {
    const res = await fetch(`${w.endpoint}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /text\/html/);
    assert.match(await res.text(), /<html/i);
  });
});

describe("secrets", () => {
  const oauthOf = (p) => p.stages[0].actions[0].configuration.OAuthToken;
  const storedOauth = async (name) => oauthOf(JSON.parse(await w.kv.get(`pipeline/${name}`)).pipeline);

  it("oauth_token_is_answered_masked_by_create_get_and_update_and_kept_stored", async () => {
    const created = await callApi(w.endpoint, "CreatePipeline", { pipeline: pipelineDeclaration("masked") });
    assert.equal(created.status, 200, created.text);
    assert.equal(oauthOf(created.json.pipeline), "****");
    const got = await client.send(new GetPipelineCommand({ name: "masked" }));
    assert.equal(oauthOf(got.pipeline), "****");
    assert.equal(got.pipeline.stages[0].actions[0].configuration.Branch, "main", "other properties as stored");
    const updated = await client.send(new UpdatePipelineCommand({ pipeline: pipelineDeclaration("masked", { oauthToken: `${OAUTH_MARKER}rotated` }) }));
    assert.equal(oauthOf(updated.pipeline), "****");
    assert.equal(await storedOauth("masked"), `${OAUTH_MARKER}rotated`, "stored for pipehook's own use");
  });

  it("get_then_update_with_the_mask_keeps_the_stored_oauth_token", async () => {
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("roundtrip") }));
    const { pipeline } = await client.send(new GetPipelineCommand({ name: "roundtrip" }));
    pipeline.stages[0].actions[0].configuration.Branch = "release";
    const updated = await client.send(new UpdatePipelineCommand({ pipeline }));
    assert.equal(updated.pipeline.version, 2);
    assert.equal(await storedOauth("roundtrip"), `${OAUTH_MARKER}roundtrip`, "'****' kept the value it masks");
    // A renamed action has no earlier value: the mask is stored as given.
    pipeline.stages[0].actions[0].name = "Renamed";
    await client.send(new UpdatePipelineCommand({ pipeline }));
    assert.equal(await storedOauth("roundtrip"), "****");
  });

  it("a_filter_cannot_read_the_oauth_token_through_a_placeholder", async () => {
    // (A token without the suite's marker: the second delivery sends it itself.)
    const token = "ghp_oracle0000000000000000000000000000";
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("oracle", { oauthToken: token }) }));
    const secret = `${SECRET_MARKER}oracle`;
    const { webhook } = await client.send(
      new PutWebhookCommand({ webhook: githubWebhook("oracle", "oracle", secret, [{ jsonPath: "$.ref", matchEquals: "{OAuthToken}" }]) }),
    );
    for (const ref of ["refs/heads/main", token]) {
      const r = await deliverSigned(webhook.url, JSON.stringify({ ref }), { secret });
      assert.equal(r.json.outcome, "filtered", r.text);
      assert.equal(r.json.filters[0].expected, "{OAuthToken}", "a secret property is no placeholder");
    }
  });

  it("no_response_in_this_suite_contains_a_secret_token", () => {
    assert.ok(w.responses.length > 100, `scanned ${w.responses.length} responses`);
    assert.deepEqual(leaks(w.responses), []);
  });
});
