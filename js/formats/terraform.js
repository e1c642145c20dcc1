// Terraform: `aws_codepipeline_webhook` resources, from HCL files, configurations in JSON syntax
// (terraform-json.js) or `terraform show -json` output (state or plan), become the PutWebhook input the AWS provider sends, after the checks
// Terraform and the provider make first (required arguments, block counts, the provider's own
// validation). An `aws_codepipeline` in the same file stands in for the stored pipeline.
//
// The provider's mapping (internal/service/codepipeline/webhook.go): `filter` blocks become
// `filters`; of `authentication_configuration` only the member the authentication type uses is
// sent (`secret_token` for GITHUB_HMAC, `allowed_ip_range` for IP); `tags` is a map.

import { blockValues, Deferred, readHcl } from "./hcl-source.js";
import { childPath } from "./source.js";
import { ResourceReader, UNKNOWN, pathMapper, putWebhookInput } from "./translate.js";

const WEBHOOK = "aws_codepipeline_webhook";
const PIPELINE = "aws_codepipeline";
const ERROR = "TerraformError";

const ARGUMENTS = ["name", "authentication", "target_action", "target_pipeline", "tags", "filter", "authentication_configuration"];
const REQUIRED = ["name", "authentication", "target_action", "target_pipeline"];
// Meta-arguments, and what the provider computes (present in `terraform show -json`).
const IGNORED = ["count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection", "arn", "id", "url", "tags_all", "region"];

const NAMES = {
  name: "name",
  targetPipeline: "target_pipeline",
  targetAction: "target_action",
  filters: "filter",
  jsonPath: "json_path",
  matchEquals: "match_equals",
  authentication: "authentication",
  authenticationConfiguration: "authentication_configuration[0]",
  SecretToken: "secret_token",
  AllowedIPRange: "allowed_ip_range",
};

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Deferred);

/** True for `terraform show -json` output (state or plan). */
export function isTerraformJson(value) {
  return isObject(value) && typeof value.format_version === "string" && (isObject(value.values) || isObject(value.planned_values));
}

/** True when the text reads as HCL rather than YAML: a top-level Terraform block. */
export function looksLikeHcl(text) {
  return /^[ \t]*(resource|data|module|variable|locals|output|provider|terraform|moved|import|check|removed)([ \t]+("[^"\n]*"|[\w-]+))*[ \t]*\{/m.test(text);
}

/** Resources from HCL text: `{ resources, source, errors }`. */
export function hclResources(text) {
  const { blocks, source, errors } = readHcl(text);
  const resources = blocks
    .filter((b) => b.type === "resource" && b.labels.length === 2)
    .map((b) => {
      const address = `${b.labels[0]}.${b.labels[1]}`;
      return { type: b.labels[0], name: b.labels[1], address, values: blockValues(text, b, address, source), strict: true };
    });
  return { resources, source, errors };
}

/** Resources from `terraform show -json` output, with `source` re-keyed from JSON paths to resource addresses. */
export function jsonResources(value, source) {
  const state = isObject(value.values);
  const rootPath = state ? "values.root_module" : "planned_values.root_module";
  const unknown = new Map();
  for (const change of Array.isArray(value.resource_changes) ? value.resource_changes : []) {
    if (isObject(change?.change?.after_unknown)) unknown.set(change.address, change.change.after_unknown);
  }
  const resources = [];
  const walk = (module, path, depth) => {
    if (!isObject(module) || depth > 50) return;
    (Array.isArray(module.resources) ? module.resources : []).forEach((r, i) => {
      if (!isObject(r) || r.mode === "data" || !isObject(r.values)) return;
      const address = typeof r.address === "string" ? r.address : `${r.type}.${r.name}`;
      if (source) rebase(source, childPath(childPath(childPath(path, "resources"), i), "values"), address);
      const values = structuredClone(r.values);
      markUnknown(values, unknown.get(address));
      resources.push({ type: r.type, name: r.name, address, values, strict: false });
    });
    (Array.isArray(module.child_modules) ? module.child_modules : []).forEach((m, i) => walk(m, childPath(childPath(path, "child_modules"), i), depth + 1));
  };
  walk(state ? value.values.root_module : value.planned_values.root_module, rootPath, 0);
  return resources;
}

function rebase(source, from, to) {
  for (const [path, span] of [...source.spans]) {
    if (path === from || path.startsWith(from + ".") || path.startsWith(from + "[")) source.set(to + path.slice(from.length), span);
  }
}

/** A plan's `after_unknown` marks values known only after apply. */
function markUnknown(values, unknown) {
  if (!isObject(unknown) && !Array.isArray(unknown)) return;
  for (const [k, u] of Object.entries(unknown)) {
    if (u === true) values[k] = new Deferred("(known after apply)");
    else if (values[k] && typeof values[k] === "object") markUnknown(values[k], u);
  }
}

/** `{ webhooks, problems, notes }` for the resources read. */
export function readTerraform(resources, source) {
  const problems = [];
  const notes = [];
  const webhooks = [];
  const pipelines = resources.filter((r) => r.type === PIPELINE);
  for (const r of resources) {
    if (r.type !== WEBHOOK) continue;
    const ctx = new Context(r, source, problems, notes);
    const fields = ctx.fields();
    const target = ctx.pipelineFor(fields, pipelines);
    const tagNames = fields.tagNames;
    delete fields.tagNames;
    webhooks.push({
      resource: r.address,
      path: r.address,
      input: putWebhookInput(fields),
      pipeline: target?.declaration,
      pipelinePath: target?.path,
      mapPath: pathMapper(r.address, NAMES, (i) => childPath(childPath(r.address, "tags"), tagNames[i])),
    });
  }
  if (webhooks.length === 0) {
    problems.push({ type: ERROR, path: "", message: `No resource "${WEBHOOK}" found: there is nothing to check` });
  }
  return { webhooks, problems, notes };
}

class Context extends ResourceReader {
  error(path, summary, detail) {
    // A missing argument or block is placed at the block's header.
    this.problem(ERROR, path, `${summary}: ${detail}`, /^(Missing|Insufficient)/.test(summary));
  }

  deployTime(path, value, secret = false) {
    return super.deployTime(path, value.text, secret);
  }

  /** Arguments a resource block does not take (configurations only: state output holds computed attributes too). */
  unsupported(values, allowed, blocks, path) {
    if (!this.r.strict) return;
    for (const key of Object.keys(values)) {
      if (allowed.includes(key) || IGNORED.includes(key)) continue;
      if (this.r.json) this.error(childPath(path, key), "Extraneous JSON object property", `No argument or block type is named "${key}".`);
      else this.error(childPath(path, key), "Unsupported argument", `An argument named "${key}" is not expected here.`);
    }
    for (const block of blocks) {
      const v = values[block];
      if (v !== undefined && !Array.isArray(v) && !(v instanceof Deferred)) {
        this.error(childPath(path, block), "Unsupported argument", `An argument named "${block}" is not expected here. Did you mean to define a block of type "${block}"?`);
      }
    }
  }

  fields() {
    const v = this.r.values;
    const at = (name) => childPath(this.r.address, name);
    this.unsupported(v, ARGUMENTS, ["filter", "authentication_configuration"], this.r.address);
    for (const name of REQUIRED) {
      if (v[name] === undefined || v[name] === null) this.error(this.r.address, "Missing required argument", `The argument "${name}" is required, but no definition was found.`);
    }
    const f = {
      name: this.string(v.name, at("name")),
      targetPipeline: this.string(v.target_pipeline, at("target_pipeline")),
      targetAction: this.string(v.target_action, at("target_action")),
      authentication: this.string(v.authentication, at("authentication")),
    };
    f.targetPipelineRef = v.target_pipeline;
    this.filters(v.filter, at("filter"), f);
    this.configuration(v.authentication_configuration, at("authentication_configuration"), f);
    this.tags(v.tags, at("tags"), f);
    return f;
  }

  string(v, path) {
    if (v === undefined || v === null) return undefined;
    if (v instanceof Deferred) return this.deployTime(path, v, /secret_token$/.test(path));
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    this.error(path, "Incorrect attribute value type", `Inappropriate value for attribute "${path.split(".").pop()}": string required.`);
    return undefined;
  }

  blocks(v, path, name, min, max) {
    if (v instanceof Deferred) return this.deployTime(path, v);
    const list = Array.isArray(v) ? v.filter(isObject) : [];
    if (list.length < min) this.error(this.r.address, `Insufficient ${name} blocks`, `At least ${min} "${name}" blocks are required.`);
    if (list.length > max) this.error(childPath(path, max), `Too many ${name} blocks`, `No more than ${max} "${name}" blocks are allowed`);
    return list;
  }

  filters(v, path, f) {
    const list = this.blocks(v, path, "filter", this.r.strict ? 1 : 0, 5);
    if (list === UNKNOWN) {
      f.filters = UNKNOWN;
      return;
    }
    f.filters = list.map((rule, i) => {
      const at = childPath(path, i);
      this.unsupported(rule, ["json_path", "match_equals"], [], at);
      for (const name of ["json_path", "match_equals"]) {
        if (rule[name] === undefined || rule[name] === null) this.error(at, "Missing required argument", `The argument "${name}" is required, but no definition was found.`);
      }
      return { jsonPath: this.string(rule.json_path, childPath(at, "json_path")), matchEquals: this.string(rule.match_equals, childPath(at, "match_equals")) };
    });
  }

  configuration(v, path, f) {
    const list = this.blocks(v ?? [], path, "authentication_configuration", 0, 1);
    if (list === UNKNOWN) {
      f.authenticationConfiguration = UNKNOWN;
      return;
    }
    const config = list[0] ?? {};
    const at = childPath(path, 0);
    if (list[0]) this.unsupported(config, ["allowed_ip_range", "secret_token"], [], at);
    const token = this.string(config.secret_token, childPath(at, "secret_token"));
    const range = this.string(config.allowed_ip_range, childPath(at, "allowed_ip_range"));
    if (typeof range === "string") this.ipv4Only(range, childPath(at, "allowed_ip_range"));
    // The provider sends only the member the authentication type uses.
    if (f.authentication === "GITHUB_HMAC" || f.authentication === UNKNOWN) f.SecretToken = token;
    if (f.authentication === "IP" || f.authentication === UNKNOWN) f.AllowedIPRange = range;
    for (const [name, value, used] of [["secret_token", token, f.SecretToken], ["allowed_ip_range", range, f.AllowedIPRange]]) {
      if (value !== undefined && value !== "" && used === undefined) {
        this.notes.push({ path: childPath(at, name), message: `not sent: the AWS provider sends ${name} only for ${name === "secret_token" ? "GITHUB_HMAC" : "IP"} authentication` });
      }
    }
  }

  /** The provider validates allowed_ip_range with IsCIDRNetwork(0, 32): at most 32 prefix bits, so no IPv6 /33 or longer. */
  ipv4Only(range, path) {
    const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(range);
    if (m && Number(m[2]) > 32 && m[1].includes(":") && Number(m[2]) <= 128) {
      this.error(path, "Invalid value", `expected allowed_ip_range to contain a network Value with between 0 and 32 significant bits, got: ${Number(m[2])}`);
    }
  }

  tags(v, path, f) {
    f.tagNames = [];
    if (v === undefined || v === null) return;
    if (v instanceof Deferred) {
      this.deployTime(path, v);
      return;
    }
    if (!isObject(v)) {
      this.error(path, "Incorrect attribute value type", `Inappropriate value for attribute "tags": map of string required.`);
      return;
    }
    f.tags = [];
    for (const [key, value] of Object.entries(v)) {
      const s = this.string(value, childPath(path, key));
      if (s === undefined) continue;
      f.tagNames.push(key);
      f.tags.push({ key, value: s === UNKNOWN ? "deploy-time-value" : s });
    }
  }

  /** The `aws_codepipeline` the webhook targets: by reference (`aws_codepipeline.x.name`) or by name. */
  pipelineFor(f, pipelines) {
    const ref = f.targetPipelineRef;
    delete f.targetPipelineRef;
    let target;
    const t = ref instanceof Deferred ? ref.traversal : undefined;
    if (t && t[0] === PIPELINE && t.length === 3 && (t[2] === "name" || t[2] === "id")) target = pipelines.find((p) => p.address === `${t[0]}.${t[1]}`);
    else if (typeof f.targetPipeline === "string") target = pipelines.find((p) => p.values.name === f.targetPipeline);
    if (!target) return undefined;
    const declaration = pipelineDeclaration(target.values);
    if (!declaration) return undefined;
    if (t) {
      // A reference to the pipeline's name is the name the file gives it.
      this.resolved(childPath(this.r.address, "target_pipeline"));
      f.targetPipeline = declaration.name;
    }
    if (f.targetAction === UNKNOWN) return undefined;
    return { declaration, path: target.address };
  }
}

function pipelineDeclaration(values) {
  if (typeof values.name !== "string" || !Array.isArray(values.stage) || !isObject(values.stage[0])) return undefined;
  const stages = values.stage.filter(isObject).map((s) => ({
    name: typeof s.name === "string" ? s.name : "",
    actions: (Array.isArray(s.action) ? s.action : []).filter(isObject).map((a) => ({
      name: typeof a.name === "string" ? a.name : "",
      configuration: a.configuration instanceof Deferred ? undefined : stringMap(a.configuration),
    })),
  }));
  if (stages[0].actions.some((a) => a.configuration === undefined)) return undefined;
  return { name: values.name, stages };
}

function stringMap(v) {
  const out = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === "string" ? x : x instanceof Deferred ? "deploy-time-value" : JSON.stringify(x);
  return out;
}
