// The minimal hand-written JS Worker of issue 5: WebCrypto HMAC verify + JSON.parse + the
// same three filters as property access. No storage. A peer for bench/receivers.mjs.
const SECRET = "It's a Secret to Everybody";
let keyPromise;
const key = () =>
  (keyPromise ??= crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]));

function hexBytes(hex) {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The delivery's outcome ("accepted" or "filtered") and its payload, or the Response that refuses it. */
export async function decide(request) {
  const sig = request.headers.get("x-hub-signature-256") ?? "";
  const given = sig.startsWith("sha256=") ? hexBytes(sig.slice(7)) : null;
  if (!given) return new Response("unsigned", { status: 401 });
  const body = await request.arrayBuffer();
  if (!(await crypto.subtle.verify("HMAC", await key(), given, body))) return new Response("bad signature", { status: 401 });
  let payload;
  try {
    payload = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return new Response("not JSON", { status: 400 });
  }
  const passed =
    payload?.ref === "refs/heads/master" &&
    payload?.repository?.full_name === "Codertocat/Hello-World" &&
    payload?.sender?.login === "Codertocat";
  return { outcome: passed ? "accepted" : "filtered", payload };
}

export default {
  async fetch(request) {
    const decided = await decide(request);
    return decided instanceof Response ? decided : Response.json({ outcome: decided.outcome });
  },
};
