// A lower bound for any Worker that checks a GitHub signature: read the body, HMAC it with
// Web Crypto (the key imported once), compare, answer. No parsing and no filters. Its req/s
// bounds what any authenticating Worker can reach under Miniflare (bench/receivers.mjs).
const SECRET = "It's a Secret to Everybody";
let keyPromise;
const key = () =>
  (keyPromise ??= crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));

export default {
  async fetch(request) {
    const body = await request.arrayBuffer();
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key(), body));
    const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
    const ok = request.headers.get("x-hub-signature-256") === `sha256=${hex}`;
    return new Response(null, { status: ok ? 204 : 401 });
  },
};
