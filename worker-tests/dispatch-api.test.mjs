// The API side of dispatch, through @aws-sdk/client-codepipeline: `pipehook:` tags are checked
// when they are set (CreatePipeline, TagResource) with InvalidTagsException naming the allowed
// forms, and nothing is stored on a refusal; StartPipelineExecution accepts and checks
// `variables` and `sourceRevisions` as the service model defines them, and keeps them on the
// execution.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CodePipelineClient,
  CreatePipelineCommand,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  ListPipelineExecutionsCommand,
  ListWebhooksCommand,
  PutWebhookCommand,
  ListTagsForResourceCommand,
  StartPipelineExecutionCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-codepipeline";
import { ACCOUNT, CREDENTIALS, REGION, SECRET_MARKER, githubWebhook, leaks, pipelineDeclaration, startWorker } from "./lib/worker.mjs";

let w;
let client;
const arn = (name) => `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${name}`;

before(async () => {
  w = await startWorker();
  client = new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  await client.send(new CreatePipelineCommand({ pipeline: { ...pipelineDeclaration("tagged"), pipelineType: "V2" } }));
});

after(() => w?.close());

/** The error a command fails with (`name` and `message`). */
async function refusal(command) {
  try {
    await client.send(command);
  } catch (e) {
    return e;
  }
  assert.fail("the command succeeded");
}

const tagsOf = async (name) => (await client.send(new ListTagsForResourceCommand({ resourceArn: arn(name) }))).tags;

describe("pipehook tags are checked when they are set", () => {
  it("create_pipeline_with_a_bad_dispatch_value_is_invalid_tags_and_creates_nothing", async () => {
    const e = await refusal(new CreatePipelineCommand({
      pipeline: pipelineDeclaration("bad-target"),
      tags: [{ key: "pipehook:dispatch", value: "http://ci.example.com/hook" }],
    }));
    assert.equal(e.name, "InvalidTagsException");
    assert.match(e.message, /Tag 'pipehook:dispatch' has value 'http:\/\/ci\.example\.com\/hook'/);
    assert.match(e.message, /a CodePipeline pipeline ARN \(arn:aws:codepipeline:<region>:<account>:<pipeline>\), an https:\/\/ URL, or an http:\/\/ URL to a loopback host/);
    assert.equal((await refusal(new GetPipelineCommand({ name: "bad-target" }))).name, "PipelineNotFoundException");
  });

  it("create_pipeline_with_good_dispatch_tags_keeps_them", async () => {
    const tags = [
      { key: "pipehook:dispatch", value: "arn:aws:codepipeline:eu-west-1:111122223333:prod" },
      { key: "pipehook:variable:COMMIT", value: "$.after" },
    ];
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("good-target"), tags }));
    assert.deepEqual(await tagsOf("good-target"), tags);
  });

  it("tag_resource_refuses_every_bad_pipehook_tag_and_leaves_the_tags_as_they_were", async () => {
    await client.send(new TagResourceCommand({ resourceArn: arn("tagged"), tags: [{ key: "team", value: "ci" }] }));
    for (const [tag, pattern] of [
      [{ key: "pipehook:dispatch", value: "ftp://x.example/" }, /It must be a CodePipeline pipeline ARN/],
      [{ key: "pipehook:dispatch", value: "arn:aws:codepipeline:us-east-1:123:app" }, /account '123' is not 12 digits/],
      [{ key: "pipehook:dispatch", value: "https://user:pw@x.example/" }, /user name or password/],
      [{ key: "pipehook:variable:has space", value: "$.a" }, /does not name a pipeline variable/],
      [{ key: "pipehook:variable:REF", value: "$[" }, /not a JSONPath for the variable/],
      [{ key: "pipehook:dispach", value: "https://x.example/" }, /is not a pipehook tag/],
    ]) {
      const e = await refusal(new TagResourceCommand({ resourceArn: arn("tagged"), tags: [tag] }));
      assert.equal(e.name, "InvalidTagsException", `${tag.key}=${tag.value}`);
      assert.match(e.message, pattern);
      assert.deepEqual(await tagsOf("tagged"), [{ key: "team", value: "ci" }]);
    }
  });

  it("tag_resource_checks_the_merged_tags_so_too_many_variables_are_refused", async () => {
    const variables = Array.from({ length: 49 }, (_, i) => ({ key: `pipehook:variable:V${i}`, value: "$.ref" }));
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("many-vars"), tags: variables }));
    // 49 + 1 = 50 variables: allowed; one more is over both the tag and the variable limit.
    await client.send(new TagResourceCommand({ resourceArn: arn("many-vars"), tags: [{ key: "pipehook:variable:V49", value: "$.ref" }] }));
    const e = await refusal(new TagResourceCommand({ resourceArn: arn("many-vars"), tags: [{ key: "pipehook:variable:V50", value: "$.ref" }] }));
    assert.equal(e.name, "TooManyTagsException");
    assert.equal((await tagsOf("many-vars")).length, 50);
    // Untagging a dispatch tag is always allowed.
    await client.send(new UntagResourceCommand({ resourceArn: arn("good-target"), tagKeys: ["pipehook:dispatch"] }));
    assert.deepEqual(await tagsOf("good-target"), [{ key: "pipehook:variable:COMMIT", value: "$.after" }]);
  });

  it("pipehook_tags_on_a_webhook_are_refused_as_they_belong_on_its_pipeline", async () => {
    const webhook = githubWebhook("hook", "tagged", `${SECRET_MARKER}api`);
    const e = await refusal(new PutWebhookCommand({ webhook, tags: [{ key: "pipehook:dispatch", value: "https://x.example/" }] }));
    assert.equal(e.name, "InvalidTagsException");
    assert.match(e.message, /goes on the webhook's target pipeline/);
    assert.equal((await client.send(new ListWebhooksCommand({}))).webhooks.length, 0);
    const { webhook: created } = await client.send(new PutWebhookCommand({ webhook, tags: [{ key: "team", value: "ci" }] }));
    const refused = await refusal(new TagResourceCommand({ resourceArn: created.arn, tags: [{ key: "pipehook:variable:X", value: "$.a" }] }));
    assert.equal(refused.name, "InvalidTagsException");
    assert.deepEqual((await client.send(new ListTagsForResourceCommand({ resourceArn: created.arn }))).tags, [{ key: "team", value: "ci" }]);
  });
});

describe("StartPipelineExecution takes variables and sourceRevisions", () => {
  it("keeps_them_on_the_execution", async () => {
    const { pipelineExecutionId } = await client.send(new StartPipelineExecutionCommand({
      name: "tagged",
      variables: [{ name: "BRANCH", value: "main" }, { name: "MESSAGE", value: "é".repeat(1000) }],
      sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: "6113728f27ae82c7b1a177c8d03f9e96e0adf246" }],
    }));
    const { pipelineExecution } = await client.send(new GetPipelineExecutionCommand({ pipelineName: "tagged", pipelineExecutionId }));
    assert.deepEqual(pipelineExecution.variables, [{ name: "BRANCH", resolvedValue: "main" }, { name: "MESSAGE", resolvedValue: "é".repeat(1000) }]);
    assert.equal(pipelineExecution.artifactRevisions[0].name, "Source");
    assert.equal(pipelineExecution.artifactRevisions[0].revisionId, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
    const { pipelineExecutionSummaries } = await client.send(new ListPipelineExecutionsCommand({ pipelineName: "tagged" }));
    assert.deepEqual(pipelineExecutionSummaries[0].sourceRevisions, [{ actionName: "Source", revisionId: "6113728f27ae82c7b1a177c8d03f9e96e0adf246" }]);
  });

  it("refuses_bad_ones_with_validation_exception_and_stores_nothing", async () => {
    const count = async () => (await client.send(new ListPipelineExecutionsCommand({ pipelineName: "tagged" }))).pipelineExecutionSummaries.length;
    const before = await count();
    for (const [input, pattern] of [
      [{ variables: [{ name: "V", value: "x".repeat(1001) }] }, /at 'variables\[0\]\.value' failed to satisfy constraint: Member must have length less than or equal to 1000/],
      [{ variables: Array.from({ length: 51 }, (_, i) => ({ name: `V${i}`, value: "v" })) }, /at 'variables' failed to satisfy constraint: Member must have length less than or equal to 50/],
      [{ variables: [{ name: "bad name", value: "v" }] }, /Member must satisfy regular expression pattern: \[A-Za-z0-9@\\-_\]\+/],
      [{ variables: [{ name: "V", value: "" }] }, /greater than or equal to 1/],
      [{ variables: [{ name: "V", value: "a" }, { name: "V", value: "b" }] }, /Variable 'V' .* is given more than once/],
      [{ sourceRevisions: [{ actionName: "Source", revisionType: "GIT_SHA", revisionValue: "a" }] }, /enum value set: \[COMMIT_ID, IMAGE_DIGEST, S3_OBJECT_VERSION_ID, S3_OBJECT_KEY\]/],
      [{ sourceRevisions: [{ actionName: "Build", revisionType: "COMMIT_ID", revisionValue: "a" }] }, /not a source action of pipeline 'tagged' \(its first stage has: Source\)/],
      [{ sourceRevisions: [{ actionName: "Source", revisionType: "COMMIT_ID", revisionValue: "r".repeat(1501) }] }, /less than or equal to 1500/],
    ]) {
      const e = await refusal(new StartPipelineExecutionCommand({ name: "tagged", ...input }));
      assert.equal(e.name, "ValidationException", JSON.stringify(input).slice(0, 80));
      assert.match(e.message, pattern);
    }
    assert.equal(await count(), before);
  });

  it("no_answer_carries_a_secret", () => {
    assert.deepEqual(leaks(w.responses), []);
  });
});
