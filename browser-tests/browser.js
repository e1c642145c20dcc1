// Debian's Chromium driven by playwright-core, with a fresh profile per run,
// plus the page's static server. Shared by the *.test.js files.

import { chromium } from "playwright-core";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "./static-server.js";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const SHOTS = resolve(fileURLToPath(new URL("../test-output/browser/", import.meta.url)));
export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// The flags TOOLCHAIN.md lists: no sandbox (containers), no GPU, and no calls home.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Serves www/ (or uses PIPEHOOK_PAGE_URL) and opens Chromium on a fresh profile.
 * Every request any page makes is recorded in `offsite` when it leaves the served origin.
 */
export async function startBrowser() {
  // PIPEHOOK_PAGE_URL points the tests at a page served elsewhere (e.g. `npm start`'s Worker).
  const external = process.env.PIPEHOOK_PAGE_URL;
  const server = external
    ? { url: new URL("./", external).href, requests: null, close: async () => {} }
    : await serveStatic();
  const profile = await mkdtemp(join(tmpdir(), "pipehook-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: LAPTOP,
  });
  await mkdir(SHOTS, { recursive: true });
  const origin = new URL(server.url).origin;
  const offsite = [];
  const consoleErrors = [];
  context.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(origin + "/") && !url.startsWith("data:") && !url.startsWith("blob:")) offsite.push(url);
  });
  context.on("page", (page) => watchPage(page, consoleErrors));
  for (const page of context.pages()) watchPage(page, consoleErrors);
  return {
    server,
    context,
    offsite,
    consoleErrors,
    /** A new tab on the page (optionally with a fragment), once the wasm has loaded. */
    async open(fragment = "", viewport = LAPTOP, initScript = undefined) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      if (initScript) await page.addInitScript(initScript);
      await page.goto(server.url + fragment);
      await page.waitForFunction(() => {
        const s = document.querySelector('[data-testid="engine-status"]');
        // …and the definition editor is in place (or the page fell back to its textarea).
        return s && (s.hidden || s.classList.contains("error")) && document.documentElement.dataset.editor;
      });
      const failure = await page.locator('[data-testid="engine-status"].error').count();
      if (failure) throw new Error(await page.getByTestId("engine-status").textContent());
      return page;
    },
    async close() {
      await context.close();
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

function watchPage(page, sink) {
  page.on("console", (msg) => {
    if (msg.type() === "error") sink.push(msg.text());
  });
  page.on("pageerror", (err) => sink.push(String(err)));
}

/** Saves a full-page screenshot as test-output/browser/<name>.png. */
export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
