// Reading what users author webhooks in: a CloudFormation template (JSON or YAML), Terraform (HCL,
// its JSON syntax as in `*.tf.json`, or `terraform show -json`), or a PutWebhook input in YAML (`--cli-input-yaml`), recognised by
// content. Each webhook found becomes a PutWebhook input for the core to check; the core's
// problems come back named by the place in the user's file, with line and column.
//
// A PutWebhook input as JSON is not read here: the core reads that itself, and this module only
// places its problems (locateProblems).

import { isCloudFormation, readCloudFormation } from "./cloudformation.js";
import { readJson } from "./json-source.js";
import { SourceMap } from "./source.js";
import { hclResources, isTerraformJson, jsonResources, looksLikeHcl, readTerraform } from "./terraform.js";
import { configResources, isTerraformConfig } from "./terraform-json.js";
import { readYaml } from "./yaml-source.js";

const DEFINITION_MEMBERS = ["name", "targetPipeline", "targetAction", "filters", "authentication", "authenticationConfiguration"];
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const startsLikeJson = (text) => /^\s*[[{]/.test(text);
// Templates are far smaller (CloudFormation takes 1 MB at most); larger text is left to the core.
const MAX_TEXT = 8 * 1024 * 1024;
const MAX_LOCATE = 2 * 1024 * 1024;

/**
 * What `input` (text, or a parsed value) holds: `{ format, webhooks, problems, notes, source }`,
 * or null for a PutWebhook input in JSON (or anything unrecognised), which the core reads itself.
 */
export function readInput(input) {
  if (typeof input !== "string") return readValue(input, null, "object");
  if (input.length > MAX_TEXT) return null;
  if (startsLikeJson(input)) {
    const { value, source, error } = readJson(input);
    return error ? null : readValue(value, source, "json");
  }
  if (input.length > MAX_LOCATE) return null;
  if (looksLikeHcl(input)) {
    const { resources, source, errors } = hclResources(input);
    if (errors.length) return syntaxErrors("terraform-hcl", "HCL", errors, source);
    return { format: "terraform-hcl", source, ...readTerraform(resources, source) };
  }
  const { value, source, errors } = readYaml(input);
  if (errors.length) {
    // Only text that looks like a YAML mapping is YAML gone wrong; anything else is left to the core's "not JSON".
    if (!/^[ \t]*["']?[\w:-]+["']?[ \t]*:(\s|$)/m.test(input)) return null;
    return syntaxErrors(/AWSTemplateFormatVersion|Resources\s*:|AWS::/.test(input) ? "cloudformation-yaml" : "yaml", "YAML", errors, source);
  }
  if (isObject(value) && ("webhook" in value || DEFINITION_MEMBERS.some((m) => m in value))) {
    const bare = !("webhook" in value);
    const mapPath = (p) => (bare ? p.replace(/^webhook\.?/, "") : p);
    return { format: "put-webhook-yaml", source, problems: [], notes: [], webhooks: [{ resource: "", path: "", input: value, mapPath }] };
  }
  return readValue(value, source, "yaml");
}

function readValue(value, source, syntax) {
  if (isTerraformJson(value)) {
    if (syntax === "yaml") return null;
    return { format: "terraform-json", source, ...readTerraform(jsonResources(value, source), source) };
  }
  if (isTerraformConfig(value)) {
    if (syntax === "yaml") return null;
    return { format: "terraform-json-config", source, ...readTerraformConfig(value, source) };
  }
  if (isCloudFormation(value)) return { format: `cloudformation${syntax === "object" ? "" : `-${syntax}`}`, source, ...readCloudFormation(value, source) };
  return null;
}

/** A configuration in JSON syntax: what its layout makes Terraform refuse, then what readTerraform finds. */
function readTerraformConfig(value, source) {
  const { resources, problems, refused } = configResources(value, source);
  const read = readTerraform(resources, source);
  const counted = (p) => refused.has(`${p.resource}:${/^Insufficient (\w+) blocks/.exec(p.message)?.[1]}`);
  return { ...read, problems: [...problems, ...read.problems.filter((p) => !counted(p))] };
}

function syntaxErrors(format, language, errors, source) {
  const problems = errors.slice(0, 1).map((e) => ({
    type: "SerializationException",
    path: "",
    message: `${language} syntax error: ${e.message}`,
    location: source.location(e.from, e.to),
  }));
  return { format, source, problems, notes: [], webhooks: [] };
}

/**
 * Checks what {@link readInput} found: each webhook by `check(inputJson, pipelineJson)` (the
 * core), its problems renamed to the file's paths and placed. `pipeline` (the caller's own) is
 * used for a webhook that targets it when the file declares no pipeline of that name.
 */
export function checkTemplate(read, check, pipeline) {
  const { source } = read;
  const at = (path, column, onName) => (source ? source.locate(path, column, onName) : undefined);
  const problems = read.problems.map(({ onName, ...p }) => {
    const location = p.location ?? at(p.path, undefined, onName);
    return location ? { ...p, location } : p;
  });
  const taken = new Set(problems.map((p) => p.path));
  for (const w of read.webhooks) {
    const target = w.pipeline ?? (pipeline && pipeline.name === w.input.webhook?.targetPipeline ? pipeline : undefined);
    const result = check(JSON.stringify(w.input), target === undefined ? undefined : JSON.stringify(target));
    for (const p of result.problems) {
      const mapped = p.path === "pipeline" || p.path.startsWith("pipeline.") ? w.pipelinePath ?? p.path : w.mapPath(p.path);
      const { path, onName } = typeof mapped === "string" ? { path: mapped } : mapped;
      if (taken.has(path)) continue; // the template's own check already said it
      const problem = { type: p.type, message: p.message, path, memberPath: p.path };
      if (w.resource) problem.resource = w.resource;
      if (p.column !== undefined) problem.column = p.column;
      const location = at(path, p.column, onName);
      if (location) problem.location = location;
      problems.push(problem);
    }
  }
  problems.sort((a, b) => (a.location?.offset ?? Infinity) - (b.location?.offset ?? Infinity));
  const notes = read.notes.map((n) => {
    const location = at(n.path);
    return location ? { ...n, location } : n;
  });
  notes.sort((a, b) => (a.location?.offset ?? Infinity) - (b.location?.offset ?? Infinity));
  const webhooks = read.webhooks.map((w) => {
    const out = { resource: w.resource, path: w.path };
    const location = w.path ? at(w.path) : undefined;
    if (location) out.location = location;
    return out;
  });
  return { valid: problems.length === 0, problems, format: read.format, notes, webhooks };
}

/**
 * Places the core's problems for a PutWebhook input given as JSON text (each gets a `location`);
 * a SerializationException is placed from the line and column in its message.
 */
export function locateProblems(text, problems) {
  if (problems.length === 0 || text.length > MAX_LOCATE) return problems;
  if (problems.some((p) => p.type === "SerializationException")) {
    const map = new SourceMap(text);
    return problems.map((p) => {
      const m = / at line (\d+) column (\d+)/.exec(p.message);
      if (!m) return p;
      const offset = offsetOf(text, Number(m[1]), Number(m[2]));
      return { ...p, location: map.location(offset, Math.min(text.length, offset + 1)) };
    });
  }
  const { value, source } = readJson(text);
  if (!source) return problems;
  const bare = isObject(value) && !("webhook" in value);
  return problems.map((p) => {
    const path = bare && (p.path === "webhook" || p.path.startsWith("webhook.")) ? p.path.replace(/^webhook\.?/, "") : p.path;
    const location = source.locate(path, p.column);
    return location ? { ...p, location } : p;
  });
}

/** serde_json counts columns in bytes of UTF-8; near enough for where a syntax error is. */
function offsetOf(text, line, column) {
  let offset = 0;
  for (let l = 1; l < line && offset >= 0; l++) offset = text.indexOf("\n", offset) + 1;
  return Math.max(0, Math.min(text.length, offset + Math.max(0, column - 1)));
}
