// What ships: the tarball's contents, the types (compiled with the repo's TypeScript against the
// installed package), the web entry, and redactWebhook.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, test } from "node:test";

import {
  INSTALL_DIR,
  REPO_ROOT,
  SECRET,
  TARBALL,
  assertDecision,
  hmacDefinition,
  loadWeb,
  openDefinition,
  pipehook,
  redactWebhook,
  validInput,
} from "./helpers.mjs";

const installed = join(INSTALL_DIR, "node_modules/pipehook");

describe("tarball", () => {
  const entries = () => {
    assert.ok(TARBALL && existsSync(TARBALL), "PIPEHOOK_TARBALL names the packed tarball");
    return execFileSync("tar", ["-tzf", TARBALL], { encoding: "utf8" }).split("\n").filter(Boolean);
  };
  test("tarball_contains_entries_wasm_types_and_cli", () => {
    const files = new Set(entries());
    for (const f of [
      "package/package.json",
      "package/dist/node.js",
      "package/dist/web.js",
      "package/dist/api.js",
      "package/dist/index.d.ts",
      "package/dist/wasm/pipehook.js",
      "package/dist/wasm/pipehook_bg.wasm",
      "package/dist/wasm/pipehook_nosimd_bg.wasm",
      "package/bin/pipehook.js",
      "package/dist/client.js",
      "package/dist/client.d.ts",
    ]) {
      assert.ok(files.has(f), `${f} is in the tarball`);
    }
  });
  test("tarball_contains_readme", () => assert.ok(entries().includes("package/README.md"), "package.json files lists README.md"));
  test("tarball_holds_only_what_users_need", () => {
    const stray = entries().filter(
      (f) => !/^package\/(package\.json|README\.md|LICENSE[^/]*|dist\/.*|bin\/.*)$/.test(f) || /\.(rs|tgz|map)$/.test(f),
    );
    assert.deepEqual(stray, []);
  });
  test("tarball_is_reasonably_small", () => {
    const size = statSync(TARBALL).size;
    assert.ok(size < 3 * 1024 * 1024, `tarball is ${size} bytes`);
  });
  test("installed_wasm_is_a_wasm_module", () => {
    for (const f of ["pipehook_bg.wasm", "pipehook_nosimd_bg.wasm"]) assert.ok(WebAssembly.validate(readFileSync(join(installed, "dist/wasm", f))), f);
  });
  test("installed_cli_is_linked_and_executable", () => {
    assert.ok(existsSync(join(INSTALL_DIR, "node_modules/.bin/pipehook")));
    assert.ok(statSync(join(installed, "bin/pipehook.js")).mode & 0o111, "bin/pipehook.js is executable");
    assert.match(readFileSync(join(installed, "bin/pipehook.js"), "utf8"), /^#!\/usr\/bin\/env node\n/);
  });
});

describe("entry points", () => {
  test("node_entry_exports_the_api", () => {
    for (const name of ["validateWebhook", "evaluateDelivery", "compileWebhook", "redactWebhook"]) {
      assert.equal(typeof pipehook[name], "function", name);
    }
  });
  test("node_entry_needs_no_init", () => {
    assert.deepEqual(pipehook.validateWebhook(validInput()), { valid: true, problems: [] });
  });
  test("package_json_exposes_wasm_and_package_json", () => {
    const require = createRequire(join(INSTALL_DIR, "index.js"));
    assert.ok(require.resolve("pipehook/pipehook_bg.wasm").endsWith("pipehook_bg.wasm"));
    assert.ok(require.resolve("pipehook/pipehook_nosimd_bg.wasm").endsWith("pipehook_nosimd_bg.wasm"));
    assert.equal(require("pipehook/package.json").name, "pipehook");
  });
  test("web_entry_requires_init_then_works_after_init_with_bytes", async () => {
    const web = await loadWeb();
    assert.equal(typeof web.default, "function");
    assert.equal(typeof web.initSync, "function");
    assert.throws(() => web.validateWebhook(validInput()), /init/);
    const require = createRequire(join(INSTALL_DIR, "index.js"));
    await web.default(readFileSync(require.resolve("pipehook/pipehook_bg.wasm")));
    assert.deepEqual(web.validateWebhook(validInput()), { valid: true, problems: [] });
    assertDecision(
      web.evaluateDelivery(openDefinition([{ jsonPath: "$.a", matchEquals: "1" }]), { headers: {}, body: '{"a":1}' }),
      "accepted",
    );
    // The web entry hashes in wasm (no host crypto): the same decision as Node's.
    const body = '{"ref":"refs/heads/main"}';
    const def = hmacDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }]);
    const { createHmac } = await import("node:crypto");
    const headers = { "X-Hub-Signature-256": "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex") };
    assert.deepEqual(web.evaluateDelivery(def, { headers, body }), pipehook.evaluateDelivery(def, { headers, body }));
    assertDecision(web.evaluateDelivery(def, { headers: {}, body }), "unauthorized");
  });
});

describe("redactWebhook", () => {
  test("redact_replaces_secret_token_and_copies", () => {
    const input = validInput();
    const copy = structuredClone(input);
    const out = redactWebhook(input);
    assert.equal(out.webhook.authenticationConfiguration.SecretToken, "****");
    assert.deepEqual(input, copy, "the caller's object is untouched");
    out.webhook.name = "changed";
    assert.equal(input.webhook.name, "my-hook", "a deep copy");
    assert.ok(!JSON.stringify(out).includes(SECRET));
  });
  test("redact_reaches_any_depth_and_lists", () => {
    const items = { webhooks: [{ definition: hmacDefinition() }, { definition: hmacDefinition([], "another-secret-123") }] };
    const out = redactWebhook(items);
    assert.equal(out.webhooks[0].definition.authenticationConfiguration.SecretToken, "****");
    assert.equal(out.webhooks[1].definition.authenticationConfiguration.SecretToken, "****");
    assert.ok(!JSON.stringify(out).includes("another-secret-123"));
  });
  test("redact_leaves_definitions_without_secret_equal", () => {
    const def = { ...openDefinition([{ jsonPath: "$.ref" }]), tags: [{ key: "SecretToken", value: "x" }] };
    assert.deepEqual(redactWebhook(def), def);
  });
});

describe("types", { timeout: 120_000 }, () => {
  const tsc = join(REPO_ROOT, "node_modules/.bin/tsc");
  const dir = join(INSTALL_DIR, `types-${process.pid}`);
  mkdirSync(dir, { recursive: true });

  const usage = `
import { validateWebhook, evaluateDelivery, compileWebhook, redactWebhook, PipehookError } from "pipehook";
import type { PutWebhookInput, WebhookDefinition, Decision, Problem, FilterTrace, CompiledWebhook } from "pipehook";
import init, { initSync } from "pipehook/web";
import { PipehookClient, PipehookServiceError } from "pipehook/client";
import type { WebhookDelivery, WebhookDeliverySummary, RedeliveryResult } from "pipehook/client";

const input: PutWebhookInput = {
  webhook: {
    name: "my-hook", targetPipeline: "p", targetAction: "Source",
    filters: [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }, { jsonPath: "$.after" }],
    authentication: "GITHUB_HMAC",
    authenticationConfiguration: { SecretToken: "s" },
  },
  tags: [{ key: "team", value: "ci" }],
};
const result = validateWebhook(input);
const valid: boolean = result.valid;
const problems: { type: string; message: string; path: string }[] = result.problems;
const first: Problem | undefined = result.problems[0];
validateWebhook(input.webhook);
validateWebhook("{}", { pipeline: { name: "p", stages: [] } });

const decision: Decision = evaluateDelivery(
  input.webhook,
  { headers: { "X-Hub-Signature-256": "sha256=00" }, body: new Uint8Array(0), sourceIp: "10.0.0.1" },
  { actionConfiguration: { Branch: "main" } },
);
evaluateDelivery(input.webhook, { headers: {}, body: "{}" });
const outcome: "accepted" | "unauthorized" | "forbidden" | "filtered" | "malformed" = decision.outcome;
const status: number = decision.status;
const reason: string = decision.reason;
const trace: FilterTrace[] = decision.filters;
const selected: unknown[] = decision.filters[0].selected;
const expected: string | undefined = decision.filters[0].expected;
const passed: boolean = decision.filters[0].passed;
const revision: string | undefined = decision.revision;
const rotated: Decision = compileWebhook(input).evaluateDelivery({ headers: {}, body: "{}" }, { previousSecretToken: "old" });
const matched: "current" | "previous" | undefined = evaluateDelivery(input, { headers: {}, body: "{}" }, { previousSecretToken: "old" }).matchedSecret;
// @ts-expect-error the previous SecretToken is a string
evaluateDelivery(input, { headers: {}, body: "{}" }, { previousSecretToken: 42 });
const redacted: PutWebhookInput = redactWebhook(input);
const compiled: CompiledWebhook = compileWebhook(input);
const again: Decision = compiled.evaluateDelivery({ headers: {}, body: "{}" }, { actionConfiguration: { Branch: "main" } });
evaluateDelivery(compiled, { headers: {}, body: "{}" });
const kind: "GITHUB_HMAC" | "IP" | "UNAUTHENTICATED" = compiled.authentication;
compiled.free();
// @ts-expect-error a compiled webhook takes the delivery only
compiled.evaluateDelivery(input.webhook, { headers: {}, body: "{}" });

try {
  evaluateDelivery(input.webhook, { headers: {}, body: "" });
} catch (e) {
  if (e instanceof PipehookError) {
    const ps: Problem[] = e.problems;
  }
}

// @ts-expect-error authentication is one of three values
const badAuth: WebhookDefinition = { ...input.webhook, authentication: "OAUTH" };
// @ts-expect-error SecretToken is PascalCase on the wire
const badCase: WebhookDefinition = { ...input.webhook, authenticationConfiguration: { secretToken: "s" } };
// @ts-expect-error body is a string or bytes
evaluateDelivery(input.webhook, { headers: {}, body: 42 });

async function web() {
  await init();
  initSync({ module: new Uint8Array(0) });
}

async function log() {
  const client = new PipehookClient({ endpoint: "http://127.0.0.1:8787", region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  const page: { deliveries: WebhookDeliverySummary[]; nextToken?: string } = await client.listWebhookDeliveries({ webhookName: "w", maxResults: 10 });
  const { delivery }: { delivery: WebhookDelivery } = await client.getWebhookDelivery({ webhookName: "w", deliveryId: page.deliveries[0].deliveryId });
  const traces: FilterTrace[] = delivery.filters;
  const result: RedeliveryResult = await client.redeliverWebhookDelivery({ webhookName: "w", deliveryId: delivery.deliveryId, dryRun: true });
  const started: string | undefined = result.pipelineExecutionId;
  // @ts-expect-error dryRun is a boolean
  await client.redeliverWebhookDelivery({ webhookName: "w", deliveryId: "x", dryRun: "yes" });
  try {
    await client.getWebhookDelivery({ webhookName: "w", deliveryId: "x" });
  } catch (e) {
    if (e instanceof PipehookServiceError) {
      const status: number = e.$metadata.httpStatusCode;
    }
  }
  return [traces, started];
}
export { log, valid, problems, first, outcome, status, reason, trace, selected, expected, passed, revision, rotated, matched, redacted, badAuth, badCase, web };
`;

  function compile(name, lib) {
    writeFileSync(join(dir, `${name}.mts`), usage);
    writeFileSync(
      join(dir, `tsconfig.${name}.json`),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib,
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: [`${name}.mts`],
      }),
    );
    return spawnSync(tsc, ["-p", `tsconfig.${name}.json`], { cwd: dir, encoding: "utf8" });
  }

  test("types_compile_typed_usage_with_dom_lib", () => {
    const r = compile("usage-dom", ["es2022", "dom"]);
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
  });
  // A Node project without the DOM lib (and without @types/node) must still compile: the
  // .d.ts should not need DOM types such as Request, Response or BufferSource.
  test("types_compile_typed_usage_without_dom_lib", () => {
    const r = compile("usage-nodom", ["es2022"]);
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
  });
});
