// Raw HTTP/1.1 exchanges, for requests no HTTP client would send as they are.
import net from "node:net";

/**
 * Writes `text` to a fresh connection to 127.0.0.1:`port` and answers { status, headers, body }
 * once the answer's body (Content-Length) is complete: nothing on the client side normalises
 * the request.
 */
export function rawExchange(port, text) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(text));
    let reply = Buffer.alloc(0);
    // Done at the end of the answer's body (Content-Length): workerd may keep the socket open.
    const complete = () => {
      const at = reply.indexOf("\r\n\r\n");
      if (at < 0) return null;
      const head = reply.subarray(0, at).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      const body = reply.subarray(at + 4);
      if (Number.isNaN(length) || body.length < length) return null;
      const headers = Object.fromEntries(
        head.split("\r\n").slice(1).map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      const text = body.subarray(0, length).toString("utf8");
      return { status: Number(head.split(" ")[1]), headers, body: text, text };
    };
    s.on("data", (c) => {
      reply = Buffer.concat([reply, c]);
      const done = complete();
      if (done) {
        s.destroy();
        resolve(done);
      }
    });
    s.on("end", () => resolve(complete() ?? { status: 0, headers: {}, body: reply.toString("utf8"), text: reply.toString("utf8") }));
    s.on("error", reject);
  });
}

