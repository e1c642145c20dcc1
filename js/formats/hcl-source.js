// Terraform's HCL as blocks and values plus where each sits, read with the Lezer grammar of
// codemirror-lang-hcl (the parser the page's editor highlights with, so the two never disagree).
//
// The grammar gives a syntax tree with exact spans; this module only turns its literal
// expressions into values. Anything computed (a reference, a function call, a `${…}`
// interpolation) becomes a {@link Deferred}: Terraform resolves it at plan or apply time.

import { hclLanguage } from "codemirror-lang-hcl";
import { childPath, SourceMap } from "./source.js";

const parser = hclLanguage.parser;

/** A value known only when Terraform runs: its source text, and the reference path when it is a plain reference. */
export class Deferred {
  constructor(text, traversal) {
    this.text = text;
    this.traversal = traversal; // ["aws_codepipeline", "bar", "name"] for `aws_codepipeline.bar.name`
  }
}

/** `{ blocks, source, errors }`: the file's top-level blocks, or the syntax errors found. */
export function readHcl(text) {
  const tree = parser.parse(text);
  const errors = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError && errors.length < 10) {
        const near = text.slice(n.from, n.from + 20).split("\n")[0];
        errors.push({ message: near ? `unexpected ${JSON.stringify(near)}` : "unexpected end of file", from: n.from, to: Math.max(n.to, n.from + 1) });
      }
    },
  });
  const source = new SourceMap(text);
  const body = tree.topNode.getChild("Body");
  const blocks = errors.length || !body ? [] : body.getChildren("Block").map((b) => readBlock(text, b));
  return { blocks, source, errors };
}

function readBlock(text, node) {
  const type = text.slice(node.getChild("BlockType").from, node.getChild("BlockType").to);
  const labels = node.getChildren("BlockLabel").map((l) => labelText(text, l));
  const open = node.getChild("{");
  return { type, labels, node, headerFrom: node.from, headerTo: open ? open.from : node.to, from: node.from, to: node.to };
}

function labelText(text, label) {
  const lit = label.firstChild?.getChild("TemplateLiteral");
  return label.firstChild?.name === "StringLit" ? (lit ? unescape(text.slice(lit.from, lit.to)) : "") : text.slice(label.from, label.to);
}

/**
 * A block's body as a plain object: attributes by name (values, or {@link Deferred}), nested
 * blocks as arrays by type (as Terraform's JSON forms write them). Registers each value's span in
 * `source` under `path`. A `dynamic "x"` block makes `x` a Deferred.
 */
export function blockValues(text, block, path, source, depth = 0) {
  source.set(path, { from: block.from, to: block.to, keyFrom: block.headerFrom, keyTo: block.headerTo });
  const out = {};
  const body = block.node.getChild("Body");
  if (!body || depth > 50) return out;
  for (let n = body.firstChild; n; n = n.nextSibling) {
    if (n.name === "Attribute") {
      const nameNode = n.getChild("Identifier");
      const name = text.slice(nameNode.from, nameNode.to);
      const expr = n.getChild("Expression");
      const at = childPath(path, name);
      out[name] = expr ? expressionValue(text, expr, at, source, { keyFrom: nameNode.from, keyTo: nameNode.to }) : null;
    } else if (n.name === "Block") {
      const inner = readBlock(text, n);
      if (inner.type === "dynamic") {
        const of = inner.labels[0] ?? "";
        out[of] = new Deferred(text.slice(n.from, n.to));
        source.set(childPath(path, of), { from: n.from, to: n.to, keyFrom: inner.headerFrom, keyTo: inner.headerTo });
        continue;
      }
      const list = Array.isArray(out[inner.type]) ? out[inner.type] : (out[inner.type] = []);
      list.push(blockValues(text, inner, childPath(childPath(path, inner.type), list.length), source, depth + 1));
    }
  }
  return out;
}

function expressionValue(text, expr, path, source, key, depth = 0) {
  const span = { from: expr.from, to: expr.to, ...key };
  source.set(path, span);
  if (depth > 50) return new Deferred(text.slice(expr.from, expr.to));
  const first = expr.firstChild;
  const only = first && !first.nextSibling;
  if (only && first.name === "LiteralValue") {
    const lit = first.firstChild;
    if (lit.name === "NumericLit") return Number(text.slice(lit.from, lit.to));
    if (lit.name === "BoolLit") return text.slice(lit.from, lit.to) === "true";
    if (lit.name === "NullLit") return null;
    if (lit.name === "StringLit") {
      const body = lit.getChild("TemplateLiteral");
      Object.assign(span, { style: "hcl", contentFrom: lit.from + 1, contentTo: lit.to - 1 });
      return body ? unescape(text.slice(body.from, body.to)) : "";
    }
  }
  if (only && first.name === "TemplateExpr") {
    const literal = templateLiteral(text, first.firstChild);
    if (literal !== undefined) return literal;
  }
  if (only && first.name === "CollectionValue") {
    const coll = first.firstChild;
    if (coll.name === "Tuple") {
      return coll.getChildren("Expression").map((e, i) => expressionValue(text, e, childPath(path, i), source, undefined, depth + 1));
    }
    if (coll.name === "Object") {
      const out = {};
      for (const elem of coll.getChildren("ObjectElem")) {
        const keyExpr = elem.getChild("ObjectKey")?.getChild("Expression");
        const name = keyExpr && objectKey(text, keyExpr);
        if (name === undefined) return new Deferred(text.slice(expr.from, expr.to));
        const valueExpr = elem.getChildren("Expression").at(-1);
        if (!valueExpr) continue;
        out[name] = expressionValue(text, valueExpr, childPath(path, name), source, { keyFrom: keyExpr.from, keyTo: keyExpr.to }, depth + 1);
      }
      return out;
    }
  }
  return new Deferred(text.slice(expr.from, expr.to), traversal(text, expr));
}

/** A quoted or heredoc template with no `${…}`/`%{…}` in it is just a string. */
function templateLiteral(text, template) {
  if (!template) return undefined;
  for (let c = template.firstChild; c; c = c.nextSibling) {
    if (c.name === "TemplateInterpolation" || c.name === "TemplateDirective" || c.name.startsWith("TemplateIf") || c.name.startsWith("TemplateFor")) return undefined;
  }
  if (template.name === "QuotedTemplate") {
    const parts = template.getChildren("TemplateLiteral").map((l) => unescape(text.slice(l.from, l.to)));
    return parts.join("");
  }
  if (template.name === "HeredocTemplate") {
    const ids = template.getChildren("HeredocIdentifier");
    const start = template.getChild("HeredocStart");
    if (ids.length < 2) return undefined;
    const bodyFrom = text.indexOf("\n", ids[0].to) + 1;
    const bodyTo = text.lastIndexOf("\n", ids[1].to - 1) + 1;
    let lines = text.slice(bodyFrom, bodyTo).split("\n").slice(0, -1);
    if (start && text.slice(start.from, start.to + 1).endsWith("-")) {
      const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)[0].length));
      lines = lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0));
    }
    return lines.map((l) => l + "\n").join("");
  }
  return undefined;
}

function objectKey(text, keyExpr) {
  const first = keyExpr.firstChild;
  if (first?.name === "VariableExpr" && !first.nextSibling) return text.slice(first.from, first.to);
  const value = expressionValue(text, keyExpr, "", new SourceMap(text), undefined);
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/** `a.b.c` as ["a", "b", "c"] when the expression is only a reference. */
function traversal(text, expr) {
  const parts = [];
  for (let c = expr.firstChild; c; c = c.nextSibling) {
    if (c.name === "VariableExpr" && parts.length === 0) parts.push(text.slice(c.from, c.to));
    else if (c.name === "GetAttr") parts.push(text.slice(c.getChild("Identifier").from, c.getChild("Identifier").to));
    else return undefined;
  }
  return parts.length ? parts : undefined;
}

const ESCAPES = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/** HCL's quoted-string escapes: `\n`, `\"`, `\uXXXX`, `\UXXXXXXXX`, and `$${`/`%%{` for a literal `${`/`%{`. */
export function unescape(raw) {
  return raw.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|([$%])\2\{/g, (m, esc, sigil) => {
    if (sigil) return `${sigil}{`;
    if (esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    return ESCAPES[esc] ?? m;
  });
}
