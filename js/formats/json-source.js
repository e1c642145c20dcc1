// JSON text as a value plus where each value sits (lezer's JSON grammar gives the spans;
// JSON.parse stays the authority on the values themselves).

import { parser } from "@lezer/json";
import { childPath, SourceMap } from "./source.js";

/**
 * `{ value, source }`, or `{ error }` when the text is not JSON. A member name given twice in one
 * object (JSON.parse keeps the last) is listed in `source.duplicates` as `{ parent, key, keyFrom,
 * keyTo, firstKeyFrom }`: Terraform's JSON syntax gives repeated names a meaning.
 */
export function readJson(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: e };
  }
  const source = new SourceMap(text);
  source.duplicates = [];
  const top = parser.parse(text).topNode.firstChild;
  if (top) walk(text, top, "", source, undefined, 0);
  return { value, source };
}

// Spans below this depth are not recorded (a definition or template is never that deep; the
// walk must not exhaust the stack on a hostile input).
const MAX_DEPTH = 100;

function walk(text, node, path, source, key, depth) {
  const span = { from: node.from, to: node.to, ...key };
  if (node.name === "String") Object.assign(span, { style: "double", contentFrom: node.from + 1, contentTo: node.to - 1 });
  source.set(path, span);
  if (depth >= MAX_DEPTH) return;
  if (node.name === "Object") {
    const seen = new Map();
    for (let prop = node.firstChild; prop; prop = prop.nextSibling) {
      if (prop.name !== "Property") continue;
      const name = prop.getChild("PropertyName");
      const value = name && name.nextSibling?.nextSibling; // PropertyName ":" value
      if (!name || !value) continue;
      let member;
      try {
        member = JSON.parse(text.slice(name.from, name.to));
      } catch {
        continue;
      }
      if (seen.has(member)) source.duplicates.push({ parent: path, key: member, keyFrom: name.from, keyTo: name.to, firstKeyFrom: seen.get(member) });
      else seen.set(member, name.from);
      walk(text, value, childPath(path, member), source, { keyFrom: name.from, keyTo: name.to }, depth + 1);
    }
  } else if (node.name === "Array") {
    let i = 0;
    for (let item = node.firstChild; item; item = item.nextSibling) {
      if (item.name === "[" || item.name === "]" || item.name === ",") continue;
      walk(text, item, childPath(path, i++), source, undefined, depth + 1);
    }
  }
}
