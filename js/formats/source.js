// Where values sit in the user's text: a map from a value's path in the file
// (`Resources.MainHook.Properties.Filters[0].JsonPath`) to its span, and the line and column of a span.
//
// Offsets are UTF-16 code units (JavaScript string indices, what CodeMirror and most editors
// count); lines and columns are 1-based.

/** `parent.key` for a member name that reads as an identifier, `parent["key"]` otherwise, `parent[3]` for an index. */
export function childPath(parent, key) {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z_][\w-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** The path one step up (`a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``). */
export function parentPath(path) {
  const m = /(\.[^.[\]]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])$/.exec(path);
  return m ? path.slice(0, m.index) : "";
}

/**
 * Spans by path. A span is `{ from, to }` (the value), with `keyFrom`/`keyTo` where the value is
 * a member (its name in the text) and `style` where it is a string scalar (how to map a character
 * of the value back to the text: see {@link stringOffset}).
 */
export class SourceMap {
  constructor(text) {
    this.text = text;
    this.spans = new Map();
    this.lineStarts = null;
  }

  set(path, span) {
    this.spans.set(path, span);
  }

  get(path) {
    return this.spans.get(path);
  }

  /**
   * The location of the value at `path`; for a path the text lacks (a missing member), the name
   * of its nearest ancestor that is there. `column` (1-based, within a string value) narrows it
   * to the rest of the string from that character; `onName` points at the member's name instead
   * of its value (a problem with a map key, or a member missing inside an object).
   */
  locate(path, column, onName = false) {
    const span = this.spans.get(path);
    if (span && onName && span.keyFrom !== undefined) return this.location(span.keyFrom, span.keyTo);
    if (span) {
      if (column !== undefined && span.style) {
        const from = stringOffset(this.text, span, column);
        if (from !== undefined) return this.location(from, Math.max(from + 1, span.contentTo ?? span.to));
      }
      return this.location(span.from, span.to);
    }
    for (let p = parentPath(path); ; p = parentPath(p)) {
      const up = this.spans.get(p);
      if (up) return up.keyFrom !== undefined ? this.location(up.keyFrom, up.keyTo) : this.location(up.from, up.to);
      if (p === "") return undefined;
    }
  }

  /** `{ line, column, endLine, endColumn, offset, endOffset }` of a span. */
  location(from, to) {
    while (to > from + 1 && /\s/.test(this.text[to - 1])) to--; // a block's range runs on to the next line
    const start = this.lineColumn(from);
    const end = this.lineColumn(to);
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column, offset: from, endOffset: to };
  }

  lineColumn(offset) {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo] + 1 };
  }
}

/**
 * The text offset of character `column` (1-based, counted in the decoded value, as the core counts
 * it) of a string scalar. Escapes (`\"`, `\u00e9`, YAML's `''`) make the two differ; for a style
 * whose source does not map one to one (folded YAML scalars) the answer is undefined, and the
 * caller underlines the whole value.
 */
export function stringOffset(text, span, column) {
  const { contentFrom, contentTo, style } = span;
  if (contentFrom === undefined || !(column >= 1)) return undefined;
  let i = contentFrom;
  // Code points, not UTF-16 units: the core counts characters.
  for (let c = 1; c < column; c++) {
    if (i >= contentTo) return undefined;
    const ch = text[i];
    if ((style === "double" || style === "hcl") && ch === "\\") {
      const e = text[i + 1];
      i += e === "u" ? 6 : e === "U" ? 10 : e === "x" ? 4 : 2;
      if (e === "u" && /^\\u[dD][89abAB]/.test(text.slice(i - 6, i)) && text.startsWith("\\u", i)) i += 6;
    } else if (style === "single" && ch === "'" && text[i + 1] === "'") {
      i += 2;
    } else if (style === "hcl" && (ch === "$" || ch === "%") && text[i + 1] === ch && text[i + 2] === "{") {
      i += 2; // `$${` is HCL's literal `${`: the `$$` is one character of the value
    } else if (style === "plain" || style === "double" || style === "single" || style === "hcl") {
      i += text.codePointAt(i) > 0xffff ? 2 : 1;
    } else {
      return undefined;
    }
  }
  return i < contentTo ? i : undefined;
}
