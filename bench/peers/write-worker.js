// A lower bound for any Worker that stores what it starts: read the body, one KV write (a
// small record), answer. No signature and no parsing. Its req/s bounds what any Worker that
// stores each accepted delivery can reach under Miniflare's KV simulator (bench/receivers.mjs).
let sequence = 0;

export default {
  async fetch(request, env) {
    const body = await request.arrayBuffer();
    await env.KV.put(`execution/${Date.now()}/${sequence++}`, JSON.stringify({ bytes: body.byteLength }));
    return new Response(null, { status: 204 });
  },
};
