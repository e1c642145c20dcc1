// The npm package as a user installs it, for suites that run its CLI against a Worker: the
// repository packed (`npm pack`, of dist/ as built) and installed into a fresh project, as
// scripts/test-pkg.sh does. PIPEHOOK_INSTALL_DIR reuses an install made beforehand.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./worker.mjs";

/** `{ dir, bin, cleanup }`: the project the package is installed in, and its `pipehook` bin. */
export function installedPackage() {
  const given = process.env.PIPEHOOK_INSTALL_DIR;
  if (given) return { dir: given, bin: path.join(given, "node_modules", ".bin", "pipehook"), cleanup() {} };
  if (!existsSync(path.join(repoRoot, "dist", "client.js"))) {
    throw new Error("dist/ is not built (or predates dist/client.js): run `npm run build` first");
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), "pipehook-cli-"));
  const pack = path.join(tmp, "pack");
  const app = path.join(tmp, "app");
  mkdirSync(pack);
  mkdirSync(app);
  execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", pack], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] });
  const [tarball] = readdirSync(pack);
  execFileSync("npm", ["init", "-y"], { cwd: app, stdio: "ignore" });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--silent", path.join(pack, tarball)], { cwd: app, stdio: ["ignore", "ignore", "inherit"] });
  return { dir: app, bin: path.join(app, "node_modules", ".bin", "pipehook"), cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}
