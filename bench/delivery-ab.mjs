// A/B of package builds by CPU time per delivery, one size (SIZE=0: the 9 KB push, 2: 1 MB),
// interleaved rounds (ROUNDS, default 25): evaluateDelivery without and with HMAC, with a definition
// object and with a compileWebhook handle; prints each build's 25th percentile and its ratio to the first.
//   node bench/delivery-ab.mjs <name>=<absolute dist dir> ...   (bench/measured/delivery-9kb.json)
const B = new URL("./", import.meta.url).href;
const { payloads, webhookFor, ACTION_CONFIGURATION, sign } = await import(B + "lib.mjs");
const si = Number(process.env.SIZE || 0);
const p = payloads()[si];
const hook = webhookFor(p.kind);
const open = { ...hook, authentication: "UNAUTHENTICATED", authenticationConfiguration: {} };
const sig = sign(p.body);
const opts = { actionConfiguration: ACTION_CONFIGURATION };
const rows = [];
for (const arg of process.argv.slice(2)) {
  const [name, dir] = arg.split("=");
  const api = await import(dir + "/node.js");
  const cwOpen = api.compileWebhook(open), cwHook = api.compileWebhook(hook);
  const fns = {
    "no HMAC": () => api.evaluateDelivery(open, { headers: { "x-github-event": "push" }, body: p.body }, opts),
    "no HMAC, compiled": () => cwOpen.evaluateDelivery({ headers: { "x-github-event": "push" }, body: p.body }, opts),
    "HMAC": () => api.evaluateDelivery(hook, { headers: { "x-hub-signature-256": sig, "x-github-event": "push" }, body: p.body }, opts),
    "HMAC, compiled": () => cwHook.evaluateDelivery({ headers: { "x-hub-signature-256": sig, "x-github-event": "push" }, body: p.body }, opts),
  };
  for (const [k, fn] of Object.entries(fns)) { if (fn().outcome !== "accepted") throw new Error(name); rows.push({ name, k, fn, s: [] }); }
}
const n = Math.max(1, Math.round(2e6 / p.body.length));
for (const r of rows) for (let i = 0; i < n * 20; i++) r.fn();
const ROUNDS = Number(process.env.ROUNDS || 25);
for (let round = 0; round < ROUNDS; round++) for (let j = 0; j < rows.length; j++) { const r = rows[(round + j) % rows.length]; const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) r.fn(); const c = process.cpuUsage(c0); r.s.push((c.user + c.system) / n); }
const out = {};
for (const r of rows) { const s = r.s.sort((a, b) => a - b); (out[r.k] ??= []).push([r.name, s[Math.floor(s.length / 4)], s[Math.floor(s.length / 2)]]); }
for (const [k, list] of Object.entries(out)) { const b = list[0][1]; for (const [name, p25, med] of list) console.log(`${p.id} ${k.padEnd(18)} ${name.padEnd(8)} p25 ${p25.toFixed(2).padStart(7)} µs (${(p25 / b).toFixed(2)}×)  med ${med.toFixed(2)}`); }
