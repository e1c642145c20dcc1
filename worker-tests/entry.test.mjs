// The Worker's entry: scripts/worker-entry.mjs turns worker-build's class export
// (a WorkerEntrypoint subclass behind Proxies) into a plain `{ fetch }` object,
// keeping worker-build's crash recovery. Tested on the rewrite itself, on the
// built bundle, and in workerd: after a critical error the next request gets a
// fresh wasm instance and is answered as before.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CodePipelineClient, CreatePipelineCommand, ListWebhooksCommand, PutWebhookCommand } from "@aws-sdk/client-codepipeline";
import { MARKER, plainEntry } from "../scripts/worker-entry.mjs";
import { CREDENTIALS, REGION, SECRET_MARKER, deliverSigned, fixturesDir, githubWebhook, pipelineDeclaration, repoRoot, startWorker } from "./lib/worker.mjs";

/** The shape of worker-build's unminified shim, reduced to what the rewrite touches. */
const SHIM = `
export const calls = [];
function checkReinitialize() { calls.push("check"); }
function handleMaybeCritical(e) { calls.push("critical: " + e.message); }
var classProxyHooks = {};
var Entrypoint = class {};
Entrypoint.prototype.fetch = function fetch2(arg) {
  if (arg === "boom") throw new Error("boom");
  if (arg === "later") return Promise.reject(new Error("later"));
  if (arg === "async") return Promise.resolve({ arg });
  return { arg, env: this.env, ctx: this.ctx };
};
var shim_default = new Proxy(Entrypoint, classProxyHooks);
export { shim_default as default };
`;

let loads = 0;
/** A fresh module instance each time (the same data: URL would be the same module). */
const load = (source) => import(`data:text/javascript;base64,${Buffer.from(`${source}\n// ${++loads}`).toString("base64")}`);

describe("the entry rewrite (scripts/worker-entry.mjs)", () => {
  it("exports_a_plain_fetch_that_checks_for_reinitialisation_then_calls_the_generated_handler", async () => {
    const mod = await load(plainEntry(SHIM));
    assert.equal(typeof mod.default, "object");
    assert.deepEqual(mod.default.fetch("req", "env", "ctx"), { arg: "req", env: "env", ctx: "ctx" });
    assert.deepEqual(mod.calls, ["check"]);
  });

  it("passes_a_synchronous_throw_to_the_critical_error_handler_and_rethrows_it", async () => {
    const mod = await load(plainEntry(SHIM));
    assert.throws(() => mod.default.fetch("boom", {}, {}), /boom/);
    assert.deepEqual(mod.calls, ["check", "critical: boom"]);
  });

  it("passes_a_rejected_answer_to_the_critical_error_handler_and_rejects_with_it", async () => {
    const mod = await load(plainEntry(SHIM));
    await assert.rejects(mod.default.fetch("later", {}, {}), /later/);
    assert.deepEqual(mod.calls, ["check", "critical: later"]);
  });

  it("resolves_to_what_an_asynchronous_answer_resolves_to_without_calling_the_critical_handler", async () => {
    const mod = await load(plainEntry(SHIM));
    assert.deepEqual(await mod.default.fetch("async", {}, {}), { arg: "async" });
    assert.deepEqual(mod.calls, ["check"]);
  });

  it("exports_the_queue_handler_only_when_the_worker_has_one_with_the_same_recovery", async () => {
    assert.equal((await load(plainEntry(SHIM))).default.queue, undefined);
    const withQueue = SHIM.replace(
      "var shim_default",
      `Entrypoint.prototype.queue = function queue2(batch) {
  if (batch === "boom") throw new Error("queue boom");
  return Promise.resolve({ batch, env: this.env, ctx: this.ctx });
};
var shim_default`,
    );
    const mod = await load(plainEntry(withQueue));
    assert.deepEqual(await mod.default.queue("b", "env", "ctx"), { batch: "b", env: "env", ctx: "ctx" });
    await assert.rejects(mod.default.queue("boom", {}, {}), /queue boom/);
    assert.deepEqual(mod.calls, ["check", "check", "critical: queue boom"]);
  });

  it("is_idempotent", () => {
    const once = plainEntry(SHIM);
    assert.equal(plainEntry(once), once);
  });

  it("refuses_output_it_does_not_know_naming_what_is_missing", () => {
    // e.g. a minified build, or another worker-build version's shim
    const minified = SHIM.replace("var shim_default = new Proxy(Entrypoint, classProxyHooks);", "var xe=new Proxy(T,M);");
    assert.throws(() => plainEntry(minified), /NO_MINIFY=1.*missing: "var shim_default = new Proxy\(Entrypoint, classProxyHooks\);"/s);
    assert.throws(() => plainEntry("export default {}"), /checkReinitialize/);
  });

  it("is_applied_to_the_built_worker", () => {
    const built = fs.readFileSync(path.join(repoRoot, "worker/build/index.js"), "utf8");
    assert.ok(built.includes(MARKER), "worker/build/index.js was not rewritten by scripts/worker-entry.mjs");
    assert.ok(!built.includes("new Proxy(Entrypoint, classProxyHooks)"));
  });
});

describe("crash recovery through the plain entry (workerd)", () => {
  const SECRET = `${SECRET_MARKER}entry`;
  const push = fs.readFileSync(path.join(fixturesDir, "push.with-new-branch.payload.json"), "utf8");
  let w, client, url;
  const state = async () => (await fetch(`${w.endpoint}/__test/state`)).json();

  before(async () => {
    w = await startWorker({ script: "worker-tests/lib/reinit-entry.js" });
    client = new CodePipelineClient({ endpoint: w.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    await client.send(new CreatePipelineCommand({ pipeline: pipelineDeclaration("entry", { branch: "master" }) }));
    ({ webhook: { url } } = await client.send(new PutWebhookCommand({ webhook: githubWebhook("entry", "entry", SECRET) })));
  });
  after(() => w?.close());

  it("reinitialises_the_wasm_instance_after_a_critical_error_and_answers_as_before", async () => {
    const first = await deliverSigned(url, push, { secret: SECRET });
    assert.equal(first.status, 200);
    assert.equal(first.json.outcome, "accepted");
    // (workers-rs's start function counts instances too: the first one is not 0.)
    const { criticalError, instanceId } = await state();
    assert.equal(criticalError, false);

    assert.equal((await fetch(`${w.endpoint}/__test/critical`)).status, 200);
    assert.deepEqual(await state(), { criticalError: true, instanceId });

    // The next request goes through checkReinitialize(): a new instance, state cleared.
    const second = await deliverSigned(url, push, { secret: SECRET });
    assert.equal(second.status, 200);
    assert.equal(second.json.outcome, "accepted");
    assert.notEqual(second.json.pipelineExecutionId, first.json.pipelineExecutionId);
    const after = await state();
    assert.equal(after.criticalError, false);
    assert.ok(after.instanceId > instanceId, `instanceId ${after.instanceId} after ${instanceId}`);

    // The fresh instance has no memo: a wrong signature is still refused, and the API still answers.
    assert.equal((await deliverSigned(url, push, { secret: "wrong" })).status, 401);
    const { webhooks } = await client.send(new ListWebhooksCommand({}));
    assert.deepEqual(webhooks.map((h) => h.definition.name), ["entry"]);
  });
});
