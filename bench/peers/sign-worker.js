// A lower bound for any Worker that checks a GitHub signature: read the body, HMAC it with
// Web Crypto (the key imported once), compare, answer. No parsing and no filters. Its req/s
// bounds what any authenticating Worker can reach under Miniflare (bench/receivers.mjs).
const SECRET = "It's a Secret to Everybody";
let keyPromise;
const key = () =>
  (keyPromise ??= crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));

/** Whether the request's body carries a valid GitHub SHA-256 signature. */
export async function verified(request) {
  const body = await request.arrayBuffer();
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key(), body));
  const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  return request.headers.get("x-hub-signature-256") === `sha256=${hex}`;
}

export default {
  async fetch(request) {
    return new Response(null, { status: (await verified(request)) ? 204 : 401 });
  },
};
