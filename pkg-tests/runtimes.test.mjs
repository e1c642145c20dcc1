// The packed package in Bun and Deno (the npm packages `bun` and `deno`, devDependencies, bring
// the binaries): runtimes/check.mjs is copied into the folder where the tarball is installed and
// run there, so `import "pipehook"` resolves as it does for a user of that runtime.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import { INSTALL_DIR, REPO_ROOT } from "./helpers.mjs";

const check = join(INSTALL_DIR, `runtime-check-${process.pid}.mjs`);
copyFileSync(join(REPO_ROOT, "pkg-tests/runtimes/check.mjs"), check);

const RUNTIMES = {
  // Deno needs nothing but to read the package's files (no --allow-env, no network).
  deno: (bin) => [bin, ["run", "--allow-read", "--no-lock", check]],
  bun: (bin) => [bin, ["run", check]],
  node: () => [process.execPath, [check]],
};

describe("the packed package in other runtimes", () => {
  for (const [name, command] of Object.entries(RUNTIMES)) {
    test(`runtime_${name}_imports_both_entries_and_validates_and_decides`, () => {
      const bin = join(REPO_ROOT, "node_modules/.bin", name);
      if (name !== "node") assert.ok(existsSync(bin), `${bin} is missing: run npm ci (the ${name} npm package ships the binary)`);
      const [file, args] = command(bin);
      const version = spawnSync(file, ["--version"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
      const r = spawnSync(file, args, {
        cwd: INSTALL_DIR,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      });
      const out = `${name} ${version}\n${r.stdout}${r.stderr}`;
      assert.equal(r.error, undefined, out);
      assert.equal(r.status, 0, out);
      assert.match(r.stdout, /^(\d+) passed, 0 failed$/m, out);
      assert.ok(Number(/^(\d+) passed/m.exec(r.stdout)[1]) >= 13, out);
    });
  }
});
