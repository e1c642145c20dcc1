// Collects criterion's estimates (target/criterion/**/new/estimates.json) into out/criterion.json.
import { readdirSync, readFileSync, existsSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, OUT } from "./lib.mjs";
const base = path.join(ROOT, "target/criterion");
const out = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = path.join(d, f);
    if (!statSync(p).isDirectory()) continue;
    const est = path.join(p, "new/estimates.json"), bm = path.join(p, "new/benchmark.json");
    if (existsSync(est) && existsSync(bm)) {
      const b = JSON.parse(readFileSync(bm, "utf8")), e = JSON.parse(readFileSync(est, "utf8"));
      out.push({ id: b.full_id, median: e.median.point_estimate / 1e9, bytes: b.throughput?.Bytes ?? null });
    } else walk(p);
  }
};
if (existsSync(base)) walk(base);
out.sort((a, b) => a.id.localeCompare(b.id));
mkdirSync(OUT, { recursive: true });
writeFileSync(OUT + "criterion.json", JSON.stringify(out, null, 1));
console.log(`criterion: ${out.length} benchmarks`);
