// Terraform's JSON configuration syntax (`*.tf.json`, and the `cdk.tf.json` CDK for Terraform
// synthesises): the resources an HCL file would declare, as nested JSON objects (HCL's JSON
// specification). They come out as hclResources gives them (nested blocks as arrays, computed
// values as Deferred), so readTerraform checks them the same way and names every place by the
// same address (`aws_codepipeline_webhook.main.filter[0].json_path`); the spans of the JSON are
// registered again under those addresses.
//
// What JSON changes: JSON has no blocks, so the provider's schema says which members are blocks
// (one object, or an array of objects, per block); each level of labels may be an array of objects
// too; a `"//"` member of a body is a comment; every string is a template, so `${…}` and `%{…}`
// are resolved when Terraform runs (and `$${` is a literal `${`).

import { Deferred } from "./hcl-source.js";
import { childPath } from "./source.js";

const ERROR = "TerraformError";
const MAX_DEPTH = 50;

// Terraform's top-level block types (and the comment member CDK for Terraform writes).
const TOP_LEVEL = new Set(["terraform", "provider", "variable", "locals", "output", "data", "module", "resource", "moved", "import", "check", "removed", "ephemeral", "//"]);

// The nested blocks of the resources readTerraform reads, with their own nested blocks; every
// other member of a body is an argument, read as an expression.
const META_BLOCKS = { lifecycle: {}, provisioner: {}, connection: {} };
const BLOCKS = {
  aws_codepipeline_webhook: { filter: {}, authentication_configuration: {}, ...META_BLOCKS },
  aws_codepipeline: { stage: { action: {} }, artifact_store: { encryption_key: {} }, trigger: { git_configuration: {} }, variable: {}, ...META_BLOCKS },
};

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
// A member named `__proto__` stays a member (JSON.parse makes it one; `out[k] = v` would not).
const put = (o, k, v) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });

/**
 * True for a configuration in JSON syntax: only Terraform's top-level block types, with `resource`
 * or `terraform` among them (`terraform show -json` output has `format_version` instead).
 */
export function isTerraformConfig(value) {
  if (!isObject(value) || "format_version" in value) return false;
  const keys = Object.keys(value);
  return keys.every((k) => TOP_LEVEL.has(k)) && ("resource" in value || "terraform" in value);
}

/**
 * `{ resources, problems, refused }`: the configuration's webhooks and pipelines as readTerraform
 * takes them, what Terraform refuses in how the JSON is laid out, and the blocks (`address:type`)
 * refused for their JSON type (a count of those blocks would only repeat it).
 */
export function configResources(value, source) {
  const reader = new ConfigReader(source);
  reader.repeated("", { label: "body", only: "resource" });
  reader.read(value.resource, "resource");
  return { resources: reader.resources, problems: reader.problems, refused: reader.refused };
}

class ConfigReader {
  constructor(source) {
    this.source = source;
    this.resources = [];
    this.problems = [];
    this.refused = new Set();
    this.declared = new Map(); // address → the offset of the name that declared it
    this.duplicates = new Map(); // JSON path of an object → its members given twice
    for (const d of source?.duplicates ?? []) {
      if (!this.duplicates.has(d.parent)) this.duplicates.set(d.parent, []);
      this.duplicates.get(d.parent).push(d);
    }
  }

  error(path, summary, detail, extra = {}) {
    this.problems.push({ type: ERROR, path, message: `${summary}: ${detail}`, ...extra });
  }

  /** `resource` → type → name → body; each level an object or an array of objects. */
  read(resource, path) {
    if (resource === undefined || resource === null) return;
    for (const [type, typeValue, typePath] of this.members(resource, path, { label: "type", only: BLOCKS })) {
      if (!Object.hasOwn(BLOCKS, type)) continue;
      const names = this.members(typeValue, typePath, { label: "name", type });
      if (names.length === 0 && (isObject(typeValue) || Array.isArray(typeValue))) {
        this.error(typePath, "Missing block label", "At least one object property is required, whose name represents the resource block's name.");
      }
      for (const [name, body, namePath] of names) {
        const address = `${type}.${name}`;
        const key = this.source?.get(namePath);
        (this.bodies(body, namePath, namePath, undefined, '"resource" block') ?? []).forEach(([b, bodyPath]) => {
          if (this.declared.has(address)) {
            // At its name; in an array of bodies, the opening brace stands for the header it lacks.
            const span = this.source?.get(bodyPath);
            const [from, to] = bodyPath === namePath && key ? [key.keyFrom, key.keyTo] : [span?.from, span?.from + 1];
            const location = span ? { location: this.source.location(from, to) } : {};
            this.duplicateResource(bodyPath, type, name, this.declared.get(address), { resource: address, ...location });
            return;
          }
          this.declared.set(address, key?.keyFrom);
          const values = this.body(b, bodyPath, address, BLOCKS[type], address, 0);
          // A problem with the resource as a whole points at its name, as HCL's do at its header.
          const span = this.source?.get(address);
          if (span && key) this.source.set(address, { ...span, keyFrom: key.keyFrom, keyTo: key.keyTo });
          this.resources.push({ type, name, address, values, strict: true, json: true });
        });
      }
    }
  }

  duplicateResource(path, type, name, firstOffset, extra) {
    this.error(path, `Duplicate resource "${type}" configuration`, `A ${type} resource named "${name}" was already declared${this.where(firstOffset)}. Resource names must be unique per type in each module.`, extra);
  }

  /** The members of one level of labels (HCL's collectDeepAttrs): `[key, value, path]`. */
  members(v, path, level) {
    if (v === null) return [];
    const out = [];
    const add = (object, at) => {
      this.repeated(at, level);
      for (const [k, x] of Object.entries(object)) if (k !== "//") out.push([k, x, childPath(at, k)]);
    };
    if (isObject(v)) add(v, path);
    else if (Array.isArray(v)) {
      v.forEach((x, i) => {
        if (isObject(x)) add(x, childPath(path, i));
        else this.error(childPath(path, i), "Incorrect JSON value type", `A JSON object is required here, to specify ${level.label} labels for this block.`);
      });
    } else {
      this.error(path, "Incorrect JSON value type", `Either a JSON object or JSON array of objects is required here, to specify ${level.label} labels for this block.`);
    }
    return out;
  }

  /**
   * The bodies a block's value at `jsonPath` holds (one object, or an array of them) as `[body,
   * jsonPath]`, or undefined when it is neither. Problems are named by `path` (the block's address).
   */
  bodies(v, jsonPath, path, address, what) {
    if (v === null || v === undefined) return [];
    if (isObject(v)) return [[v, jsonPath]];
    const resource = address ? { resource: address } : {};
    if (Array.isArray(v)) {
      return v.flatMap((x, i) => {
        if (isObject(x) || x === null) return [[x ?? {}, childPath(jsonPath, i)]];
        this.span(childPath(jsonPath, i), childPath(path, i));
        this.error(childPath(path, i), "Incorrect JSON value type", "A JSON object is required here, to define arguments and child blocks.", resource);
        return [];
      });
    }
    this.error(path, "Incorrect JSON value type", `Either a JSON object or a JSON array is required, representing the contents of one or more ${what}s.`, resource);
    return undefined;
  }

  /** A block's body as hclResources gives it, its spans registered again under `path` (an address). */
  body(v, jsonPath, path, blocks, address, depth) {
    this.span(jsonPath, path);
    const out = {};
    if (depth > MAX_DEPTH) return out;
    this.repeated(jsonPath, { label: "argument", blocks, address, path });
    for (const [k, x] of Object.entries(v)) {
      if (k === "//") continue; // a comment
      const at = childPath(path, k);
      if (k === "dynamic") {
        // Blocks generated from a collection: known when Terraform runs.
        for (const [of, spec, specPath] of this.members(x, childPath(jsonPath, k), { label: "dynamic" })) {
          put(out, of, new Deferred(this.raw(specPath, spec)));
          this.span(specPath, childPath(path, of));
        }
      } else if (Object.hasOwn(blocks, k)) {
        this.span(childPath(jsonPath, k), at);
        const list = this.bodies(x, childPath(jsonPath, k), at, address, `"${k}" block`);
        if (list === undefined) this.refused.add(`${address}:${k}`);
        else put(out, k, list.map(([b, bodyPath], i) => this.body(b, bodyPath, childPath(at, i), blocks[k], address, depth + 1)));
      } else {
        put(out, k, this.expression(x, childPath(jsonPath, k), at, 0));
      }
    }
    return out;
  }

  /** An argument's value: JSON read as HCL's expressions (every string a template). */
  expression(v, jsonPath, path, depth) {
    this.span(jsonPath, path, typeof v === "string");
    if (typeof v === "string") {
      const literal = templateLiteral(v);
      return literal !== undefined ? literal : new Deferred(this.raw(jsonPath, v), traversal(v));
    }
    if (depth > MAX_DEPTH && typeof v === "object" && v !== null) return new Deferred(this.raw(jsonPath, v));
    if (Array.isArray(v)) return v.map((x, i) => this.expression(x, childPath(jsonPath, i), childPath(path, i), depth + 1));
    if (isObject(v)) {
      const out = {};
      for (const [k, x] of Object.entries(v)) {
        // A key is a template too; a computed key leaves the whole object unknown until then.
        const key = templateLiteral(k);
        if (key === undefined) return new Deferred(this.raw(jsonPath, v));
        put(out, key, this.expression(x, childPath(jsonPath, k), childPath(path, key), depth + 1));
      }
      return out;
    }
    return v;
  }

  /**
   * Members given twice in the object at `jsonPath` (JSON.parse kept only the last). Terraform
   * reads each: a repeated name declares the resource twice, a repeated argument is refused, and
   * repeated blocks are more blocks, which pipehook cannot see, so it asks for one array instead.
   */
  repeated(jsonPath, level) {
    for (const d of this.duplicates.get(jsonPath) ?? []) {
      const path = childPath(level.path ?? jsonPath, d.key);
      const resource = level.address ? { resource: level.address } : {};
      if (d.key === "//" || (level.only && !(typeof level.only === "string" ? d.key === level.only : Object.hasOwn(level.only, d.key)))) continue;
      if (level.label === "name") this.duplicateResource(path, level.type, d.key, d.firstKeyFrom, { onName: true, resource: `${level.type}.${d.key}` });
      else if (level.label === "argument" && !Object.hasOwn(level.blocks, d.key) && d.key !== "dynamic") {
        this.error(path, "Duplicate argument", `The argument "${d.key}" was already set${this.where(d.firstKeyFrom)}.`, { onName: true, ...resource });
      } else {
        this.error(path, "Repeated JSON object property", `"${d.key}" is given more than once in this object, and pipehook reads only the last: write them as one JSON array of objects.`, { onName: true, ...resource });
      }
    }
  }

  /** Registers the span of the value at `jsonPath` again under `path`; a string there is a template (its `$${` stands for `${`, as in HCL). */
  span(jsonPath, path, template = false) {
    const span = this.source?.get(jsonPath);
    if (span) this.source.set(path, template && span.style ? { ...span, style: "hcl" } : span);
  }

  raw(jsonPath, v) {
    const span = this.source?.get(jsonPath);
    return span ? this.source.text.slice(span.from, span.to) : JSON.stringify(v);
  }

  where(offset) {
    if (offset === undefined || !this.source) return "";
    const { line, column } = this.source.lineColumn(offset);
    return ` at line ${line}, column ${column}`;
  }
}

/** The string a template without `${…}`/`%{…}` stands for (`$${` and `%%{` are literal), or undefined. */
export function templateLiteral(s) {
  if (!s.includes("{")) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if ((c === "$" || c === "%") && s[i + 1] === "{") return undefined;
    if ((c === "$" || c === "%") && s[i + 1] === c && s[i + 2] === "{") {
      out += `${c}{`;
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

/** `"${aws_codepipeline.app.name}"` as ["aws_codepipeline", "app", "name"]: a template that is one reference. */
function traversal(s) {
  const m = /^\$\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*\}$/.exec(s);
  return m ? m[1].split(".") : undefined;
}
