// Shared setup for pkg-tests: loads the *installed* package the way a user does, plus
// fixtures, definitions and signing helpers. Run through scripts/test-pkg.sh, which sets
// PIPEHOOK_INSTALL_DIR to a temporary project where the packed tarball is installed.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// Resolved from the repo's node_modules (this file lives in the repo), never from the install dir.
export { sign } from "@octokit/webhooks-methods";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = process.env.PIPEHOOK_REPO_ROOT ?? resolve(here, "..");
export const FIXTURES = resolve(REPO_ROOT, "../shared/fixtures");
export const INSTALL_DIR = process.env.PIPEHOOK_INSTALL_DIR;
export const TARBALL = process.env.PIPEHOOK_TARBALL;

if (!INSTALL_DIR || !existsSync(join(INSTALL_DIR, "node_modules/pipehook/package.json"))) {
  throw new Error(
    "PIPEHOOK_INSTALL_DIR must name a folder where the packed pipehook tarball is installed; " +
      "run these tests with `npm run test:pkg` (scripts/test-pkg.sh)",
  );
}

/**
 * Imports `specifier` from a module file written into the install folder, so resolution is
 * exactly a user's: `import … from "pipehook"` in their own project.
 */
async function importAsUser(specifier, tag) {
  const file = join(INSTALL_DIR, `user-${tag}-${process.pid}.mjs`);
  writeFileSync(
    file,
    `export * from ${JSON.stringify(specifier)};\n` +
      (tag === "web" ? `export { default } from ${JSON.stringify(specifier)};\n` : ""),
  );
  return import(pathToFileURL(file).href);
}

/** The Node entry, `import * as pipehook from "pipehook"`. */
export const pipehook = await importAsUser("pipehook", "node");
/** The browser/Worker entry, `import init, { initSync, … } from "pipehook/web"` (not yet initialised). */
export const loadWeb = () => importAsUser("pipehook/web", "web");

export const { validateWebhook, evaluateDelivery, redactWebhook, PipehookError } = pipehook;

// ---------------------------------------------------------------------------------------------
// Definitions

/** GitHub's documented test vector (docs: "Validating webhook deliveries"). */
export const GITHUB_VECTOR = {
  secret: "It's a Secret to Everybody",
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};

export const SECRET = "pk9-test-secret-Zq7x";

export function hmacDefinition(filters = [], secret = SECRET) {
  return {
    name: "my-hook",
    targetPipeline: "my-pipeline",
    targetAction: "Source",
    filters,
    authentication: "GITHUB_HMAC",
    authenticationConfiguration: { SecretToken: secret },
  };
}

export function ipDefinition(range, filters = []) {
  return { ...hmacDefinition(filters), authentication: "IP", authenticationConfiguration: { AllowedIPRange: range } };
}

export function openDefinition(filters = []) {
  return { ...hmacDefinition(filters), authentication: "UNAUTHENTICATED", authenticationConfiguration: {} };
}

/** A full, valid PutWebhook input. */
export function validInput() {
  return {
    webhook: hmacDefinition([{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }]),
    tags: [{ key: "team", value: "ci" }],
  };
}

export function pipelineDeclaration() {
  return {
    name: "my-pipeline",
    roleArn: "arn:aws:iam::123456789012:role/pipeline",
    artifactStore: { type: "S3", location: "bucket" },
    stages: [
      {
        name: "Source",
        actions: [
          {
            name: "Source",
            actionTypeId: { category: "Source", owner: "ThirdParty", provider: "GitHub", version: "1" },
            configuration: { Owner: "octo", Repo: "hello", Branch: "main", OAuthToken: "****" },
            outputArtifacts: [{ name: "src" }],
          },
        ],
      },
      {
        name: "Build",
        actions: [
          {
            name: "Build",
            actionTypeId: { category: "Build", owner: "AWS", provider: "CodeBuild", version: "1" },
            configuration: { ProjectName: "p" },
            inputArtifacts: [{ name: "src" }],
          },
        ],
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Deliveries

export const hmac256 = (secret, body) => "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
export const hmac1 = (secret, body) => "sha1=" + createHmac("sha1", secret).update(body).digest("hex");

/** A delivery as GitHub sends it: JSON body, both signature headers. */
export function githubDelivery(body, { secret = SECRET, event = "push", headers = {} } = {}) {
  return {
    headers: {
      "Content-Type": "application/json",
      "X-GitHub-Event": event,
      "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      "X-Hub-Signature": hmac1(secret, body),
      "X-Hub-Signature-256": hmac256(secret, body),
      ...headers,
    },
    body,
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

export function githubPayloads(prefixes = ["push", "ping", "pull_request", "release"]) {
  const dir = join(FIXTURES, "github-payloads");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && prefixes.some((p) => f === `${p}.json` || f.startsWith(`${p}.`)))
    .sort()
    .map((file) => {
      const raw = readFileSync(join(dir, file));
      return { file, event: file.split(".")[0], raw, json: JSON.parse(raw.toString("utf8")) };
    });
}

// ---------------------------------------------------------------------------------------------
// Assertions

const OUTCOME_STATUS = { accepted: 200, filtered: 200, unauthorized: 401, forbidden: 403, malformed: 400 };

/** Checks a decision's shape and that outcome and status agree, then its outcome. */
export function assertDecision(decision, outcome, message) {
  assert.equal(typeof decision, "object");
  assert.ok(decision.outcome in OUTCOME_STATUS, `unknown outcome ${decision.outcome}`);
  // A malformed delivery too large to decide (over 25 MB, or too many values for a whole-document rule) is a 413.
  const statuses = decision.outcome === "malformed" ? [400, 413] : [OUTCOME_STATUS[decision.outcome]];
  assert.ok(statuses.includes(decision.status), `status ${decision.status} matches outcome ${decision.outcome}`);
  assert.equal(typeof decision.reason, "string");
  assert.ok(Array.isArray(decision.filters), "filters is an array");
  for (const f of decision.filters) {
    assert.equal(typeof f.jsonPath, "string");
    assert.ok(Array.isArray(f.selected), "a trace's selected is an array");
    assert.equal(typeof f.passed, "boolean");
  }
  if (outcome !== undefined) {
    assert.equal(decision.outcome, outcome, `${message ?? "outcome"} (reason: ${decision.reason})`);
  }
  return decision;
}

/**
 * Asserts that `problems` holds one matching `expected`: type, path (or one of several paths
 * where the contract leaves the choice open) and message (exact string or RegExp).
 */
export function assertProblem(problems, { type, path, message }) {
  const types = [type].flat();
  const paths = [path].flat();
  const found = problems.find(
    (p) =>
      types.includes(p.type) &&
      paths.includes(p.path) &&
      (message === undefined || (message instanceof RegExp ? message.test(p.message) : p.message === message)),
  );
  assert.ok(
    found,
    `expected a problem ${JSON.stringify({ type, path, message: String(message ?? "") })}\n` +
      `got ${JSON.stringify(problems, null, 1)}`,
  );
  return found;
}

export function assertNoSecret(value, secret) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  assert.ok(!text.includes(secret), `output must not contain the SecretToken: ${text.slice(0, 300)}`);
}
