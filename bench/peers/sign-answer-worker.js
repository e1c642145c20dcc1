// What answering costs a Worker: bench/peers/sign-worker.js (read the body, sign it with Web
// Crypto, compare) answering 200 with a JSON body instead of an empty 204. `ANSWER` (a binding)
// picks the body: "short" is the minimal JS Worker's `{"outcome":"filtered"}`, "trace" the text
// pipehook's Worker answers for bench/worker-ab.mjs's filtered delivery (every rule's trace).
import { verified } from "./sign-worker.js";

const BODIES = {
  short: '{"outcome":"filtered"}',
  trace: "{\"outcome\":\"filtered\",\"status\":200,\"reason\":\"filtered: filter rule 1 ($.ref) expected 'refs/heads/other' but selected 'refs/heads/master'\",\"filters\":[{\"jsonPath\":\"$.ref\",\"expected\":\"refs/heads/other\",\"selected\":[\"refs/heads/master\"],\"selectedCount\":1,\"passed\":false},{\"jsonPath\":\"$.repository.full_name\",\"expected\":\"Codertocat/Hello-World\",\"selected\":[\"Codertocat/Hello-World\"],\"selectedCount\":1,\"passed\":true},{\"jsonPath\":\"$.sender.login\",\"expected\":\"Codertocat\",\"selected\":[\"Codertocat\"],\"selectedCount\":1,\"passed\":true}]}",
};
const HEADERS = { "content-type": "application/json" };

export default {
  async fetch(request, env) {
    if (!(await verified(request))) return new Response(null, { status: 401 });
    return new Response(BODIES[env.ANSWER] ?? BODIES.short, { status: 200, headers: HEADERS });
  },
};
