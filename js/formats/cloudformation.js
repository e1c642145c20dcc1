// CloudFormation templates (JSON or YAML; also a `Resources` snippet or one resource, as the AWS
// documentation shows them): each AWS::CodePipeline::Webhook becomes the PutWebhook input
// CloudFormation would send, after the checks CloudFormation makes itself against the resource's
// schema (property names and types, required properties). An AWS::CodePipeline::Pipeline in the
// same template stands in for the stored pipeline (target action, `{Key}` placeholders).

import { childPath } from "./source.js";
import { ResourceReader, UNKNOWN, pathMapper, putWebhookInput } from "./translate.js";

const WEBHOOK = "AWS::CodePipeline::Webhook";
const PIPELINE = "AWS::CodePipeline::Pipeline";
const SCHEMA_ERROR = "ValidationError"; // what CloudFormation answers for a template it refuses

// The resource schema of AWS::CodePipeline::Webhook: its properties and their JSON types.
const PROPERTIES = {
  AuthenticationConfiguration: "object",
  Filters: "array",
  Authentication: "string",
  TargetPipeline: "string",
  TargetAction: "string",
  Name: "string",
  TargetPipelineVersion: "integer",
  RegisterWithThirdParty: "boolean",
};
const READ_ONLY = ["Id", "Url"];
const REQUIRED = ["AuthenticationConfiguration", "Filters", "Authentication", "TargetPipeline", "TargetAction", "TargetPipelineVersion"];
const FILTER_PROPERTIES = { JsonPath: "string", MatchEquals: "string" };
const AUTH_PROPERTIES = { AllowedIPRange: "string", SecretToken: "string" };

// PutWebhook member → the resource's property of that name.
const NAMES = {
  name: "Name",
  targetPipeline: "TargetPipeline",
  targetAction: "TargetAction",
  filters: "Filters",
  jsonPath: "JsonPath",
  matchEquals: "MatchEquals",
  authentication: "Authentication",
  authenticationConfiguration: "AuthenticationConfiguration",
};

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** True for a template, a `Resources` map, or a single resource (what the AWS docs' snippets are). */
export function isCloudFormation(value) {
  if (!isObject(value)) return false;
  if (isObject(value.Resources) || "AWSTemplateFormatVersion" in value) return true;
  if (isResource(value)) return true;
  const values = Object.values(value);
  return values.length > 0 && values.every(isResource);
}

function isResource(v) {
  return isObject(v) && typeof v.Type === "string" && /^(AWS|Custom|Alexa)::|^[A-Za-z0-9]+::[A-Za-z0-9]+::/.test(v.Type);
}

/** The template's resources and the path to each in the file. */
function resources(value) {
  if (isObject(value.Resources)) return Object.entries(value.Resources).map(([id, r]) => ({ id, resource: r, path: childPath("Resources", id) }));
  if (isResource(value)) return [{ id: "", resource: value, path: "" }];
  return Object.entries(value).map(([id, r]) => ({ id, resource: r, path: childPath("", id) }));
}

export const isIntrinsic = (v) =>
  isObject(v) && Object.keys(v).length === 1 && /^(Ref|Condition|Fn::\w+)$/.test(Object.keys(v)[0]);

const DYNAMIC_REFERENCE = /\{\{resolve:[^}]*\}\}/;

/**
 * `{ webhooks, problems, notes }`. Each webhook: `{ resource, path, input, pipeline, mapPath }`;
 * `source` (a SourceMap, or null for a value given as an object) places the notes.
 */
export function readCloudFormation(value, source) {
  const all = resources(value);
  const pipelines = all.filter((r) => isObject(r.resource) && r.resource.Type === PIPELINE);
  const problems = [];
  const notes = [];
  const webhooks = [];
  for (const r of all) {
    if (!isObject(r.resource) || r.resource.Type !== WEBHOOK) continue;
    const ctx = new Context(r, source, problems, notes);
    const fields = ctx.fields();
    if (!fields) continue;
    const target = ctx.pipelineFor(fields, pipelines);
    webhooks.push({
      resource: r.id,
      path: r.path,
      input: putWebhookInput(fields),
      pipeline: target?.declaration,
      pipelinePath: target?.path,
      mapPath: pathMapper(childPath(r.path, "Properties"), NAMES),
    });
  }
  if (webhooks.length === 0 && !problems.length) {
    problems.push({
      type: SCHEMA_ERROR,
      path: isObject(value.Resources) ? "Resources" : "",
      message: `The template declares no ${WEBHOOK} resource: there is nothing to check`,
    });
  }
  return { webhooks, problems, notes };
}

/** Reads one webhook resource's properties, reporting what CloudFormation itself would refuse. */
class Context extends ResourceReader {
  constructor(r, source, problems, notes) {
    super(r, source, problems, notes);
    this.props = childPath(r.path, "Properties");
  }

  /** A schema problem; `onName` places a missing member at the name of the object it belongs in. */
  schema(path, message, onName = /required key/.test(message)) {
    this.problem(SCHEMA_ERROR, path, `Properties validation failed for resource ${this.r.id || "(this resource)"} with message: ${message}`, onName);
  }

  deployTime(path, value, secret = false) {
    return super.deployTime(path, shortForm(value), secret);
  }

  /** The webhook's fields for {@link putWebhookInput}, or undefined when its properties cannot be read at all. */
  fields() {
    const props = this.r.resource.Properties;
    if (props === undefined) {
      this.schema(this.r.path, `#: required key [${REQUIRED.join(", ")}] not found`);
      return undefined;
    }
    if (isIntrinsic(props)) {
      this.deployTime(this.props, props);
      return undefined;
    }
    if (!isObject(props)) {
      this.schema(this.props, `#: expected type: JSONObject, found: ${jsonType(props)}`);
      return undefined;
    }
    this.members(props, PROPERTIES, this.props, "#");
    for (const key of REQUIRED) if (props[key] === undefined) this.schema(this.props, `#: required key [${key}] not found`);

    const f = {
      name: this.string(props.Name, childPath(this.props, "Name")),
      targetPipeline: this.string(props.TargetPipeline, childPath(this.props, "TargetPipeline")),
      targetAction: this.string(props.TargetAction, childPath(this.props, "TargetAction")),
      authentication: this.string(props.Authentication, childPath(this.props, "Authentication")),
    };
    // CloudFormation names a webhook itself when the template does not.
    if (f.name === undefined) f.name = generatedName(this.r.id);
    this.integer(props.TargetPipelineVersion, childPath(this.props, "TargetPipelineVersion"));
    this.boolean(props.RegisterWithThirdParty, childPath(this.props, "RegisterWithThirdParty"));
    this.filters(props.Filters, childPath(this.props, "Filters"), f);
    this.configuration(props.AuthenticationConfiguration, childPath(this.props, "AuthenticationConfiguration"), f);
    f.targetPipelineRef = props.TargetPipeline;
    return f;
  }

  /** Names not in the schema, and null values (which CloudFormation refuses in any template). */
  members(object, allowed, path, pointer) {
    for (const [key, v] of Object.entries(object)) {
      const at = childPath(path, key);
      if (v === null) {
        this.problem(SCHEMA_ERROR, at, `Template format error: [/${at.replace(/\.|\[|\]/g, "/").replace(/\/+/g, "/").replace(/\/$/, "")}] 'null' values are not allowed in templates`);
      } else if (!(key in allowed)) {
        const why = READ_ONLY.includes(key) ? ` (${key} is read-only: CloudFormation sets it)` : hint(key, allowed);
        this.schema(at, `${pointer}: extraneous key [${key}] is not permitted${why}`);
      }
    }
  }

  string(v, path) {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return DYNAMIC_REFERENCE.test(v) ? this.deployTime(path, v, /SecretToken$/.test(path)) : v;
    if (typeof v === "number" || typeof v === "boolean") {
      // CloudFormation passes a number or boolean on as its text.
      const span = this.source?.get(path);
      return span?.style === "plain" ? this.source.text.slice(span.from, span.to) : String(v);
    }
    const sub = v?.["Fn::Sub"];
    if (isIntrinsic(v) && typeof sub === "string" && !/\$\{(?!!)/.test(sub)) return sub.replace(/\$\{!/g, "${");
    if (isIntrinsic(v)) return this.deployTime(path, v, /SecretToken$/.test(path));
    this.schema(path, `${pointer(path, this.props)}: expected type: String, found: ${jsonType(v)}`);
    return undefined;
  }

  integer(v, path) {
    if (v === undefined || v === null || isIntrinsic(v)) {
      if (isIntrinsic(v)) this.deployTime(path, v);
      return;
    }
    if (Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v.trim()))) return;
    this.schema(path, `${pointer(path, this.props)}: expected type: Integer, found: ${jsonType(v)}`);
  }

  boolean(v, path) {
    if (v === undefined || v === null || isIntrinsic(v)) {
      if (isIntrinsic(v)) this.deployTime(path, v);
      return;
    }
    if (typeof v === "boolean" || (typeof v === "string" && /^(true|false)$/i.test(v))) return;
    this.schema(path, `${pointer(path, this.props)}: expected type: Boolean, found: ${jsonType(v)}`);
  }

  filters(v, path, f) {
    if (v === undefined || v === null) return;
    if (isIntrinsic(v)) {
      f.filters = this.deployTime(path, v);
      return;
    }
    if (!Array.isArray(v)) {
      this.schema(path, `${pointer(path, this.props)}: expected type: JSONArray, found: ${jsonType(v)}`);
      return;
    }
    f.filters = v.map((rule, i) => {
      const at = childPath(path, i);
      if (isIntrinsic(rule)) return this.deployTime(at, rule);
      if (!isObject(rule)) {
        this.schema(at, `${pointer(at, this.props)}: expected type: JSONObject, found: ${jsonType(rule)}`);
        return UNKNOWN;
      }
      this.members(rule, FILTER_PROPERTIES, at, pointer(at, this.props));
      if (rule.JsonPath === undefined) this.schema(at, `${pointer(at, this.props)}: required key [JsonPath] not found`);
      return {
        jsonPath: this.string(rule.JsonPath, childPath(at, "JsonPath")) ?? (rule.JsonPath === undefined ? UNKNOWN : undefined),
        matchEquals: this.string(rule.MatchEquals, childPath(at, "MatchEquals")),
      };
    });
  }

  configuration(v, path, f) {
    if (v === undefined || v === null) {
      f.hasConfiguration = false;
      return;
    }
    if (isIntrinsic(v)) {
      f.authenticationConfiguration = this.deployTime(path, v, true);
      return;
    }
    if (!isObject(v)) {
      this.schema(path, `${pointer(path, this.props)}: expected type: JSONObject, found: ${jsonType(v)}`);
      f.hasConfiguration = false;
      return;
    }
    this.members(v, AUTH_PROPERTIES, path, pointer(path, this.props));
    f.SecretToken = this.string(v.SecretToken, childPath(path, "SecretToken"));
    f.AllowedIPRange = this.string(v.AllowedIPRange, childPath(path, "AllowedIPRange"));
  }

  /**
   * The pipeline the webhook targets, when the template declares it: `!Ref` to a pipeline
   * resource, or a pipeline whose Name is the webhook's TargetPipeline.
   */
  pipelineFor(f, pipelines) {
    const ref = f.targetPipelineRef;
    delete f.targetPipelineRef;
    let target;
    if (isObject(ref) && typeof ref.Ref === "string") target = pipelines.find((p) => p.id === ref.Ref);
    else if (typeof f.targetPipeline === "string") target = pipelines.find((p) => p.resource.Properties?.Name === f.targetPipeline);
    if (!target) return undefined;
    const declaration = pipelineDeclaration(target.resource.Properties);
    if (!declaration) return undefined;
    if (isObject(ref) && target.id === ref.Ref) {
      // `!Ref` to a pipeline is its name: known when the template names the pipeline.
      if (typeof declaration.name === "string") {
        this.resolved(childPath(this.props, "TargetPipeline"));
        f.targetPipeline = declaration.name;
      } else {
        declaration.name = "deploy-time-value"; // the stand-in the unknown TargetPipeline gets
      }
    }
    if (typeof declaration.name !== "string") return undefined;
    if (f.targetAction === UNKNOWN) return undefined;
    return { declaration, path: target.path };
  }
}

/** Enough of an AWS::CodePipeline::Pipeline for the core's checks: names, stages, actions' configuration keys. */
function pipelineDeclaration(props) {
  if (!isObject(props) || !Array.isArray(props.Stages) || !isObject(props.Stages[0]) || !Array.isArray(props.Stages[0].Actions)) return undefined;
  const stages = props.Stages.filter(isObject).map((s) => ({
    name: typeof s.Name === "string" ? s.Name : "",
    actions: (Array.isArray(s.Actions) ? s.Actions : []).filter(isObject).map((a) => ({
      name: typeof a.Name === "string" ? a.Name : "",
      configuration: isObject(a.Configuration) && !isIntrinsic(a.Configuration) ? stringMap(a.Configuration) : undefined,
    })),
  }));
  // An action whose configuration is computed has unknown keys: no placeholder can be checked.
  if (stages[0].actions.some((a) => a.configuration === undefined)) return undefined;
  return { name: typeof props.Name === "string" ? props.Name : undefined, stages };
}

function stringMap(object) {
  const out = {};
  for (const [k, v] of Object.entries(object)) out[k] = typeof v === "string" ? v : isIntrinsic(v) ? "deploy-time-value" : JSON.stringify(v);
  return out;
}

/** CloudFormation's name for an unnamed webhook is built from the stack and logical ID; this stands in for it. */
function generatedName(id) {
  const clean = (id || "Webhook").replace(/[^A-Za-z0-9.@\-_]/g, "");
  return `${clean || "Webhook"}-generated`.slice(0, 100);
}

/** `!Ref X`, `!GetAtt A.B`, `!Sub "…"`: how a template's author writes an intrinsic. */
function shortForm(v) {
  if (typeof v === "string") return v;
  const [name, arg] = Object.entries(v)[0];
  const tag = name === "Ref" || name === "Condition" ? name : name.replace(/^Fn::/, "");
  const shown = name === "Fn::GetAtt" && Array.isArray(arg) ? arg.join(".") : typeof arg === "string" ? arg : JSON.stringify(arg);
  return `!${tag} ${shown}`;
}

/** `#/Filters/0/JsonPath`: the JSON pointer CloudFormation's schema messages use. */
function pointer(path, props) {
  const rest = path.slice(props.length).replace(/\[(\d+)\]/g, ".$1");
  return "#" + rest.split(".").filter(Boolean).map((s) => `/${s}`).join("");
}

function jsonType(v) {
  if (Array.isArray(v)) return "JSONArray";
  if (v === null) return "Null";
  if (typeof v === "object") return "JSONObject";
  if (typeof v === "number") return Number.isInteger(v) ? "Integer" : "BigDecimal";
  return typeof v === "boolean" ? "Boolean" : "String";
}

function hint(key, allowed) {
  const match = Object.keys(allowed).find((k) => k.toLowerCase() === key.toLowerCase());
  return match ? ` (did you mean ${match}?)` : "";
}
