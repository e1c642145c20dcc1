// The definition editor in Chromium: each format pasted, each problem underlined at its span
// (checked in the DOM), its message on hover and a mark in the gutter, the keyboard way to a
// problem, and a screenshot per format in test-output/browser/editor-<format>.png.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

import { shot, startBrowser } from "./browser.js";

const T = { timeout: 60_000 };
const FIXTURES = new URL("../pkg-tests/fixtures/templates/", import.meta.url);
const fixture = (name) => readFile(new URL(name, FIXTURES), "utf8");

let browser;
before(async () => {
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
});

/** Pastes `text` into the editor and waits for the verdict on it. */
async function paste(page, text, verdict) {
  await page.evaluate(() => (document.querySelector('[data-testid="verdict"]').dataset.state = "stale"));
  await page.getByTestId("definition").fill(text);
  await page.waitForFunction((want) => document.querySelector('[data-testid="verdict"]').dataset.state === want, verdict, { timeout: 10_000 });
}

/** The underlined spans in the editor: their text and severity. */
function underlines(page) {
  return page.$$eval(".cm-lintRange", (spans) =>
    spans.map((s) => ({ text: s.textContent, severity: s.classList.contains("cm-lintRange-error") ? "error" : s.classList.contains("cm-lintRange-info") ? "info" : "other" })),
  );
}

/** Hovers the underline whose text is `text` and returns the tooltip's text. */
async function hover(page, text) {
  const span = page.locator(".cm-lintRange", { hasText: text }).first();
  await span.scrollIntoViewIfNeeded();
  await span.hover();
  const tip = page.locator(".cm-tooltip-lint");
  await tip.waitFor({ timeout: 5_000 });
  const said = await tip.textContent();
  await page.mouse.move(0, 0);
  await tip.waitFor({ state: "detached", timeout: 5_000 }).catch(() => {});
  return said;
}

/** The line numbers that carry an error mark in the gutter. */
function gutterLines(page) {
  return page.evaluate(() => {
    const lines = [];
    const numbers = [...document.querySelectorAll(".cm-lineNumbers .cm-gutterElement")];
    for (const marker of document.querySelectorAll(".cm-gutter-lint .cm-lint-marker-error")) {
      const top = marker.closest(".cm-gutterElement").getBoundingClientRect().top;
      const n = numbers.find((e) => Math.abs(e.getBoundingClientRect().top - top) < 2 && e.textContent.trim());
      if (n) lines.push(Number(n.textContent));
    }
    return lines.sort((a, b) => a - b);
  });
}

const CFN_YAML = `Resources:
  MainHook:
    Type: AWS::CodePipeline::Webhook
    Properties:
      Name: main hook
      Authentication: GITHUB_HMAC
      AuthenticationConfiguration:
        SecretToken: !Ref GitHubSecret
      Filters:
        - JsonPath: "$.ref[0"
          MatchEquals: refs/heads/{Branch}
      TargetPipeline: app
      TargetAction: Source
      TargetPipelineVersion: 1
`;

const CASES = [
  {
    format: "cloudformation-yaml",
    text: async () => CFN_YAML,
    summary: /CloudFormation template: AWS would refuse this/,
    errors: { "main hook": /ValidationException Resources\.MainHook\.Properties\.Name: Value 'main hook'/, "[0": /InvalidWebhookFilterPatternException/ },
    lines: [5, 10],
    notes: { GitHubSecret: /not checked: resolved at deploy time/ },
    highlighted: "MainHook",
  },
  {
    format: "cloudformation-json",
    text: async () => (await fixture("cdk-github-source.template.json")).replace('"MatchEquals": "refs/heads/{Branch}"', '"MatchEquals": ""'),
    summary: /CloudFormation template: AWS would refuse this with ValidationException/,
    errors: { '""': /MatchEquals: Value '' at 'webhook\.filters\[0\]\.matchEquals' failed to satisfy constraint: Member must have length greater than or equal to 1/ },
    notes: { "{{resolve:secretsmanager:github-token:SecretString:::}}": /not checked: resolved at deploy time/ },
    highlighted: '"AWS::CodePipeline::Webhook"',
  },
  {
    format: "terraform-hcl",
    text: async () => (await fixture("terraform/provider-example.tf")).replace('json_path    = "$.ref"', 'json_path    = "$.ref[0"').replace('authentication  = "GITHUB_HMAC"', 'authentication  = "GITHUB"'),
    summary: /Terraform configuration: AWS would refuse this/,
    errors: { '"GITHUB"': /Member must satisfy enum value set/, "[0": /InvalidWebhookFilterPatternException aws_codepipeline_webhook\.bar\.filter\[0\]\.json_path/ },
    notes: {},
    highlighted: "resource",
  },
  {
    format: "terraform-json",
    text: async () => (await fixture("terraform/show-state.json")).replace('"target_action": "Source"', '"target_action": "Build"'),
    summary: /terraform show -json output: AWS would refuse this with ValidationException/,
    errors: { '"Build"': /target_action: Action 'Build' is not an action of the first stage/ },
    notes: {},
    highlighted: '"tf-test-pipeline"',
  },
  {
    format: "terraform-json-config",
    text: async () => (await fixture("terraform/provider-example.tf.json")).replace('"json_path": "$.ref"', '"json_path": "$.ref[0"'),
    summary: /Terraform configuration \(JSON\): AWS would refuse this with InvalidWebhookFilterPatternException/,
    errors: { "[0": /InvalidWebhookFilterPatternException aws_codepipeline_webhook\.bar\.filter\[0\]\.json_path/ },
    notes: { '"${local.webhook_secret}"': /not checked: resolved at deploy time/ },
    highlighted: '"tf-test-pipeline"',
  },
  {
    format: "put-webhook-json",
    text: async () => JSON.stringify({ webhook: { name: "a b", targetPipeline: "p", targetAction: "a", filters: [], authentication: "IP", authenticationConfiguration: { AllowedIPRange: "10.0.0.0/33" } } }, null, 2),
    summary: /AWS would refuse this with ValidationException; 2 problems/,
    errors: { '"a b"': /webhook\.name/, '"10.0.0.0/33"': /not a valid IPv4 or IPv6 CIDR/ },
    notes: {},
    highlighted: '"IP"',
  },
  {
    // `aws codepipeline list-webhooks` output: each item checked on its own, each problem placed in the whole text.
    format: "list-webhooks",
    text: async () => {
      const definition = (name, auth) => ({ name, targetPipeline: "p", targetAction: "Source", filters: [{ jsonPath: "$.ref", matchEquals: "refs/heads/main" }], ...auth });
      const hmac = { authentication: "GITHUB_HMAC", authenticationConfiguration: { SecretToken: "****" } };
      const item = (def, extra = {}) => ({ definition: def, url: "https://example.com/webhooks?t=x&v=1", arn: "arn:aws:codepipeline:us-east-1:111122223333:webhook:x", ...extra });
      return JSON.stringify({ webhooks: [
        item(definition("first", hmac)),
        item(definition("second", { authentication: "IP", authenticationConfiguration: { AllowedIPRange: "10.0.0.0/33" } })),
        item(definition("third", hmac), { tags: [{ key: "aws:x", value: "y" }] }),
      ] }, null, 2);
    },
    summary: /3 webhooks checked/,
    errors: { '"10.0.0.0/33"': /webhooks\[1\]\.definition\.authenticationConfiguration\.AllowedIPRange/, '"aws:x"': /webhooks\[2\]\.tags\[0\]\.key/ },
    notes: {},
    highlighted: '"GITHUB_HMAC"',
  },
];

describe("definition editor in Chromium", () => {
  for (const c of CASES) {
    test(`editor_${c.format}_underlines_each_problem_with_hover_and_gutter`, T, async () => {
      const page = await browser.open();
      const text = await c.text();
      await paste(page, text, "invalid");
      assert.match(await page.getByTestId("verdict-summary").textContent(), c.summary);

      // The editor draws the lines in view only: go to the first problem, as a user would.
      await page.getByTestId("problem").first().getByRole("button", { name: "Show in the text" }).click();
      const marks = await underlines(page);
      for (const [span, message] of Object.entries(c.errors)) {
        assert.ok(marks.some((m) => m.severity === "error" && m.text === span), `${span} is underlined as an error: ${JSON.stringify(marks)}`);
        assert.match(await hover(page, span), message, `hover over ${span}`);
      }
      for (const [span, message] of Object.entries(c.notes)) {
        assert.ok(marks.some((m) => m.severity === "info" && m.text.includes(span)), `${span} is marked as a note: ${JSON.stringify(marks)}`);
        assert.match(await hover(page, span), message);
      }
      if (c.lines) assert.deepEqual(await gutterLines(page), c.lines);
      else assert.ok((await gutterLines(page)).length >= 1, "a gutter mark on the problem's line");

      // Highlighted as its language: the token is in a styled span.
      const styled = await page.$$eval(".cm-line span", (spans, want) => spans.some((s) => s.textContent === want && getComputedStyle(s).color !== getComputedStyle(s.closest(".cm-line")).color), c.highlighted);
      assert.ok(styled, `${c.highlighted} is highlighted`);
      // The screenshot with the first problem's message showing, as on hover.
      await page.locator(".cm-lintRange-error", { hasText: Object.keys(c.errors)[0] }).first().hover();
      await page.locator(".cm-tooltip-lint").waitFor();
      await shot(page, `editor-${c.format}`);
      await page.close();
    });
  }

  test("editor_valid_template_has_notes_only_and_the_problem_list_names_lines", T, async () => {
    const page = await browser.open();
    const text = await fixture("aws-doc-webhook.yaml");
    await paste(page, text, "valid");
    assert.match(await page.getByTestId("verdict-summary").textContent(), /CloudFormation template: AWS would accept this \(1 webhook checked\)/);
    const notes = await page.$$eval('[data-testid="note"]', (items) => items.map((li) => li.dataset.path));
    assert.deepEqual(notes, [
      "Webhook.Properties.AuthenticationConfiguration.SecretToken",
      "Webhook.Properties.TargetPipeline",
      "Webhook.Properties.TargetPipelineVersion",
    ]);
    assert.ok((await underlines(page)).every((m) => m.severity === "info"));
    // The dry run knows the SecretToken is not in the file.
    await page.getByTestId("sign").click();
    assert.match(await page.getByTestId("sign-status").textContent(), /resolved at deploy time/);
    await page.close();
  });

  test("editor_keyboard_reaches_a_problem_from_the_list", T, async () => {
    const page = await browser.open();
    await paste(page, CFN_YAML, "invalid");
    const item = page.locator('[data-testid="problem"][data-path="Resources.MainHook.Properties.Name"]');
    assert.match(await item.getByTestId("problem-place").textContent(), /line 5, column 13/);
    await item.getByRole("button", { name: "Show in the text" }).focus();
    await page.keyboard.press("Enter");
    const where = await page.evaluate(() => [document.activeElement.dataset.testid, window.getSelection().toString()]);
    assert.deepEqual(where, ["definition", "main hook"]);
    // Typing goes into the editor at once, and the verdict follows the text.
    await page.keyboard.type("main-hook");
    await page.waitForFunction(() => !document.querySelector('[data-path="Resources.MainHook.Properties.Name"]'), null, { timeout: 10_000 });
    await page.close();
  });

  test("editor_is_labelled_for_screen_readers", T, async () => {
    const page = await browser.open();
    const content = page.getByTestId("definition");
    assert.equal(await content.getAttribute("role"), "textbox");
    assert.equal(await content.getAttribute("aria-multiline"), "true");
    const label = await content.getAttribute("aria-labelledby");
    assert.match(await page.locator(`#${label}`).textContent(), /PutWebhook input/);
    assert.match(await page.locator(`#${label}`).textContent(), /CloudFormation template/);
    // The accessible name comes from that label.
    const snapshot = await page.getByRole("textbox", { name: /PutWebhook input/ }).count();
    assert.equal(snapshot, 1);
    await page.close();
  });

  test("page_without_the_editor_bundle_still_validates_in_its_textarea", T, async () => {
    const page = await browser.context.newPage();
    await page.route("**/build/editor.js", (route) => route.abort());
    await page.goto(browser.server.url);
    await page.waitForFunction(() => document.documentElement.dataset.editor === "textarea" && document.querySelector('[data-testid="engine-status"]').hidden);
    await page.locator("textarea#definition").fill(CFN_YAML);
    await page.waitForFunction(() => document.querySelector('[data-testid="verdict"]').dataset.state === "invalid" && document.querySelectorAll('[data-testid="problem"]').length >= 2);
    await page.close();
    // The aborted request is this test's doing: it is not a page error.
    browser.consoleErrors.splice(0, browser.consoleErrors.length, ...browser.consoleErrors.filter((e) => !/editor\.js|ERR_FAILED/.test(e)));
  });
});
