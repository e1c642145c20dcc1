// JSON parsing with a line and column for every syntax error.
//
// JSON.parse is used for the value; only when it fails does a small scanner walk
// the text to find where and why, because browsers word (and place) the error
// differently and Safari gives no position at all.

/** @returns {{ok: true, value: unknown} | {ok: false, line: number, column: number, offset: number, message: string}} */
export function parseJson(text) {
  if (text.trim() === "") {
    return { ok: false, line: 1, column: 1, offset: 0, message: "Empty input" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    let found;
    try {
      found = locateJsonError(text);
    } catch {
      found = null; // nesting too deep for the scanner: fall back to the browser's words
    }
    const { offset, message } = found ?? { offset: 0, message: String(err && err.message) };
    return { ok: false, offset, message, ...lineColumn(text, offset) };
  }
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumn(text, offset) {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first syntax error in `text`, or null if it is valid JSON. */
export function locateJsonError(text) {
  let i = 0;
  const fail = (message, at = i) => {
    throw new JsonSyntax(message, at);
  };
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const describe = (at) => {
    if (at >= text.length) return "end of input";
    const c = text[at];
    return c >= " " ? `character '${c}'` : `control character ${JSON.stringify(c)}`;
  };

  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (c === "'") fail("Strings must use double quotes");
    fail(`Unexpected ${describe(i)}: expected a value`);
  };
  const object = () => {
    i++; // {
    ws();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') {
        if (text[i] === "}") fail("Trailing comma before '}'");
        fail(`Unexpected ${describe(i)}: property names must be double-quoted strings`);
      }
      string();
      ws();
      if (text[i] !== ":") fail(`Expected ':' after property name, found ${describe(i)}`);
      i++;
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail(`Expected ',' or '}' after property value, found ${describe(i)}`);
    }
  };
  const array = () => {
    i++; // [
    ws();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === "]") fail("Trailing comma before ']'");
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail(`Expected ',' or ']' after array element, found ${describe(i)}`);
    }
  };
  const string = () => {
    const start = i;
    i++; // "
    for (;;) {
      if (i >= text.length) fail("Unterminated string", start);
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c < " ") fail(c === "\n" ? "Unterminated string (line break inside a string)" : "Control character inside a string");
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("Bad \\u escape: expected four hex digits");
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail(`Bad escape ${JSON.stringify("\\" + (e ?? ""))}`);
        i += 2;
        continue;
      }
      i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "-") fail("Invalid number");
    i += m[0].length;
  };

  try {
    value();
    ws();
    if (i < text.length) fail(`Unexpected ${describe(i)} after the end of the JSON value`);
    return null;
  } catch (err) {
    if (err instanceof JsonSyntax) return { offset: err.offset, message: err.message };
    throw err;
  }
}

class JsonSyntax extends Error {
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}
