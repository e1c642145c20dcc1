// YAML text (CloudFormation templates, `--cli-input-yaml` files) as a value plus where each value
// sits, read with the `yaml` package's document tree (its nodes carry their ranges).
//
// CloudFormation's short-form intrinsics (`!Ref X`, `!GetAtt A.b`, `!Sub …`) become the long form
// (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "b"]}`), so a template reads the same as its JSON twin.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { childPath, SourceMap } from "./source.js";

const INTRINSICS = [
  "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAtt", "GetAZs", "If", "ImportValue", "Join",
  "Length", "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform",
];
const SHORT_FORMS = new Map([
  ["!Ref", "Ref"],
  ["!Condition", "Condition"],
  ...INTRINSICS.map((name) => [`!${name}`, `Fn::${name}`]),
]);

// Declared so `yaml` neither warns about them nor changes the node; the walk below reads the tag.
const CUSTOM_TAGS = [...SHORT_FORMS.keys()].flatMap((tag) => [
  { tag, resolve: (value) => value },
  { tag, collection: "seq", resolve: (value) => value },
  { tag, collection: "map", resolve: (value) => value },
]);

/**
 * `{ value, source, errors }`. `errors` lists YAML syntax errors (`{ message, from, to }`);
 * YAML 1.1 is read, as CloudFormation reads it.
 */
export function readYaml(text) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: "1.1", customTags: CUSTOM_TAGS, uniqueKeys: false, lineCounter, prettyErrors: false });
  const errors = doc.errors.map((e) => ({ message: firstLine(e.message), from: e.pos[0], to: Math.max(e.pos[1], e.pos[0] + 1) }));
  const source = new SourceMap(text);
  const value = errors.length ? undefined : toValue(doc, doc.contents, "", source, undefined, text, 0);
  return { value, source, errors };
}

function firstLine(message) {
  return String(message).split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

function toValue(doc, node, path, source, key, text, depth) {
  if (node == null) return null;
  if (depth > 200) return null; // anchors can nest without bound; CloudFormation templates do not
  if (isAlias(node)) return toValue(doc, node.resolve(doc), path, source, key, text, depth + 1);
  let [from, to] = node.range ?? [0, 0];
  // `Name:` with nothing after it: an empty node where the value would be; point at the name.
  if (from === to && key) [from, to] = [key.keyFrom, key.keyTo];
  const span = { from, to, ...key };
  source.set(path, span);
  const short = node.tag && SHORT_FORMS.get(node.tag);
  if (short) return intrinsic(short, node, doc, path, source, text, depth);
  if (isMap(node)) {
    const dynamic = dynamicReference(node, text);
    if (dynamic !== undefined) return dynamic;
    const out = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const name = keyName(pair.key, text);
      const at = childPath(path, name);
      const keySpan = pair.key?.range ? { keyFrom: pair.key.range[0], keyTo: pair.key.range[1] } : undefined;
      out[name] = toValue(doc, pair.value, at, source, keySpan, text, depth + 1);
      if (pair.value == null && keySpan) source.set(at, { from: keySpan.keyFrom, to: keySpan.keyTo, ...keySpan });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item, i) => toValue(doc, item, childPath(path, i), source, undefined, text, depth + 1));
  if (isScalar(node)) {
    Object.assign(span, scalarStyle(node, text));
    // YAML 1.1 reads `2010-09-09` as a date: keep what was written, as CloudFormation does.
    if (node.value instanceof Date) return text.slice(from, to);
    return node.value;
  }
  return null;
}

/** A member name as written (`Y:` is the name "Y", not YAML 1.1's boolean). */
function keyName(key, text) {
  if (isScalar(key)) return key.type === "PLAIN" ? text.slice(key.range[0], key.range[1]) : String(key.value);
  return key?.range ? text.slice(key.range[0], key.range[1]) : "";
}

function scalarStyle(node, text) {
  const [from, to] = node.range;
  if (node.type === "QUOTE_DOUBLE") return { style: "double", contentFrom: from + 1, contentTo: to - 1 };
  if (node.type === "QUOTE_SINGLE") return { style: "single", contentFrom: from + 1, contentTo: to - 1 };
  if (node.type === "PLAIN" && !text.slice(from, to).includes("\n")) return { style: "plain", contentFrom: from, contentTo: to };
  return {};
}

function intrinsic(name, node, doc, path, source, text, depth) {
  const inner = childPath(path, name);
  let arg;
  if (isScalar(node)) {
    arg = node.value === null ? "" : node.value instanceof Date ? text.slice(...node.range) : node.value;
    source.set(inner, { from: node.range[0], to: node.range[1], ...scalarStyle(node, text) });
    // `!GetAtt Resource.Attribute` is the short form of `["Resource", "Attribute"]`.
    if (name === "Fn::GetAtt" && typeof arg === "string" && arg.includes(".")) {
      const dot = arg.indexOf(".");
      arg = [arg.slice(0, dot), arg.slice(dot + 1)];
    }
  } else {
    const untagged = node.clone();
    untagged.tag = undefined;
    arg = toValue(doc, untagged, inner, source, undefined, text, depth + 1);
  }
  return { [name]: arg };
}

/**
 * `SecretToken: {{resolve:secretsmanager:…}}` unquoted, as AWS's own examples write it, is to
 * YAML a mapping inside a mapping. CloudFormation reads the text as the dynamic reference it looks
 * like, and so does this.
 */
function dynamicReference(node, text) {
  if (!node.flow || node.items.length !== 1) return undefined;
  const [pair] = node.items;
  if (pair.value != null || !isMap(pair.key) || !pair.key.flow || pair.key.items.length !== 1) return undefined;
  const inner = pair.key.items[0];
  if (inner.value != null || !isScalar(inner.key) || !/^resolve:/.test(String(inner.key.value))) return undefined;
  return text.slice(node.range[0], node.range[1]).replace(/\s+/g, "");
}
