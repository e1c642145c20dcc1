// The validator page (www/) in Debian's Chromium, served by a plain static
// server: what a person does with it, and what they must see.
// Screenshots of each state: test-output/browser/<state>-{laptop,phone}.png.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { sign } from "@octokit/webhooks-methods";

import { LAPTOP, PHONE, shot, startBrowser } from "./browser.js";

const SECRET = "correct horse battery staple";
const SAMPLES = new URL("../www/samples/", import.meta.url);
const T = { timeout: 60_000 };

const definition = (overrides = {}) => ({
  webhook: {
    name: "my-pipeline-github",
    targetPipeline: "my-pipeline",
    targetAction: "Source",
    filters: [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }],
    authentication: "GITHUB_HMAC",
    authenticationConfiguration: { SecretToken: SECRET },
    ...overrides,
  },
  tags: [{ key: "team", value: "platform" }],
});

// Four sections broken at once: one problem of each kind, each in its place.
const BROKEN = {
  webhook: {
    name: "my pipeline hook",
    targetPipeline: "my-pipeline",
    targetAction: "Source",
    filters: [{ jsonPath: "$.ref[0", matchEquals: "refs/heads/{Branch}" }],
    authentication: "GITHUB_HMAC",
    authenticationConfiguration: {},
  },
  tags: [{ key: "aws:team", value: "platform" }],
};
const BROKEN_EXPECTED = [
  ["ValidationException", "webhook.name"],
  ["InvalidWebhookFilterPatternException", "webhook.filters[0].jsonPath"],
  ["InvalidWebhookAuthenticationParametersException", "webhook.authenticationConfiguration.SecretToken"],
  ["InvalidTagsException", "tags[0].key"],
];

let browser;
before(async () => {
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
});

/** Screenshots of the page as it is, on a laptop and on a phone. */
async function shots(page, name) {
  await shot(page, `${name}-laptop`);
  await page.setViewportSize(PHONE);
  await shot(page, `${name}-phone`);
  await page.setViewportSize(LAPTOP);
}

const json = (v) => JSON.stringify(v, null, 2);

/**
 * Types into the definition box and waits for the verdict on the new text,
 * with no button pressed. The page answers within a second (150 ms debounce);
 * speed is not asserted here (see bench/), so the wait allows for a busy machine.
 */
async function typeDefinition(page, text, verdict, within = 5000) {
  // Mark the old verdict, so that only one given for the new text counts.
  await page.evaluate(() => (document.querySelector('[data-testid="verdict"]').dataset.state = "stale"));
  await page.getByTestId("definition").fill(text);
  await page.waitForFunction(
    (want) => {
      const v = document.querySelector('[data-testid="verdict"]');
      return v.dataset.state === want && v.textContent.trim() === want;
    },
    verdict,
    { timeout: within },
  );
}

async function problems(page) {
  return page.$$eval('[data-testid="problem"]', (items) =>
    items.map((li) => ({
      type: li.querySelector('[data-testid="problem-type"]').textContent,
      path: li.querySelector('[data-testid="problem-path"]').textContent,
      message: li.querySelector('[data-testid="problem-message"]').textContent,
    })),
  );
}

async function pickSample(page, id) {
  const { file, event } = { "push-new-branch": { file: "push.with-new-branch.payload.json", event: "push" } }[id] ?? {};
  await page.getByTestId("sample").selectOption(id);
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="headers"]').value.includes(`X-GitHub-Event: ${want}`),
    event ?? "",
  );
  const expected = await readFile(new URL(file, SAMPLES), "utf8");
  await page.waitForFunction((len) => document.querySelector('[data-testid="payload"]').value.length === len, expected.length);
  return expected;
}

async function evaluate(page) {
  await page.getByTestId("evaluate").click();
  const decision = page.getByTestId("decision");
  await decision.waitFor();
  return {
    outcome: await decision.getAttribute("data-outcome"),
    text: await decision.textContent(),
    status: await page.getByTestId("decision-status").textContent(),
  };
}

async function filterRows(page) {
  return page.$$eval('[data-testid="filter-row"]', (rows) =>
    rows.map((tr) => ({
      path: tr.querySelector('[data-testid="filter-path"]').textContent,
      expected: tr.querySelector('[data-testid="filter-expected"]').textContent,
      selected: tr.querySelector('[data-testid="filter-selected"]').textContent,
      result: tr.querySelector('[data-testid="filter-result"]').textContent,
    })),
  );
}

/** The page with a definition, the action configuration and a push to refs/heads/master. */
async function pushReady(branch) {
  const page = await browser.open();
  await typeDefinition(page, json(definition()), "valid");
  await page.getByTestId("action-config").fill(json({ Branch: branch }));
  const body = await pickSample(page, "push-new-branch");
  return { page, body };
}

describe("validator page in Chromium", () => {
  test("definition_invalid_lists_each_problem_with_type_and_path", T, async () => {
    const page = await browser.open();
    await typeDefinition(page, json(BROKEN), "invalid");
    const found = await problems(page);
    assert.deepEqual(
      found.map((p) => [p.type, p.path]).sort(),
      [...BROKEN_EXPECTED].sort(),
      `problems shown: ${JSON.stringify(found, null, 1)}`,
    );
    for (const p of found) assert.ok(p.message.length > 0, `${p.path} has a message`);
    // A JSONPath Jayway refuses says where: the column of the '[' that is never closed.
    const path = found.find((p) => p.path === "webhook.filters[0].jsonPath");
    assert.match(path.message, /not valid at column 6: '\[' is not closed by '\]'/);
    assert.match(await page.getByTestId("verdict-summary").textContent(), /AWS would refuse this with \w+Exception; 4 problems/);
    await shots(page, "01-definition-invalid");
    await page.close();
  });

  test("definition_fixed_turns_verdict_valid", T, async () => {
    const page = await browser.open();
    await typeDefinition(page, json(BROKEN), "invalid");
    const fixed = structuredClone(BROKEN);
    fixed.webhook.name = "my-pipeline-hook";
    fixed.webhook.filters[0].jsonPath = "$.ref";
    fixed.webhook.authenticationConfiguration.SecretToken = SECRET;
    fixed.tags[0].key = "team";
    await typeDefinition(page, json(fixed), "valid");
    assert.equal(await page.getByTestId("problem").count(), 0);
    assert.equal((await page.getByTestId("verdict").textContent()).trim(), "valid");
    assert.match(
      await page.getByTestId("definition-explain").textContent(),
      /Starts pipeline "my-pipeline" \(action "Source"\) on a delivery signed with its SecretToken .*\$\.ref is "refs\/heads\/\{Branch\}"/,
    );
    await shots(page, "02-definition-valid");
    await page.close();
  });

  test("definition_json_syntax_error_shows_line_and_column", T, async () => {
    const page = await browser.open();
    const text = json(definition()).replace('"targetPipeline"', '"targetPipeline" "oops",\n    "x"');
    await typeDefinition(page, text, "invalid");
    const [p, ...rest] = await problems(page);
    assert.equal(rest.length, 0);
    assert.equal(p.type, "JSON syntax error");
    assert.equal(p.path, "line 4, column 22");
    assert.match(p.message, /Expected ':' after property name/);
    await page.getByRole("button", { name: "Show in the text" }).click();
    // The editor has the focus, with the character where the error is selected.
    const caret = await page.getByTestId("definition").evaluate((t) => [t.contains(document.activeElement), window.getSelection().toString()]);
    assert.deepEqual(caret, [true, text[text.indexOf('"oops"')]], "the button puts the caret on the error");
    await shots(page, "03-definition-json-syntax-error");
    await page.close();
  });

  test("definition_list_webhooks_output_names_the_item_in_each_path", T, async () => {
    const page = await browser.open();
    const item = (def, extra = {}) => ({ definition: def, url: "https://example.com/webhooks?t=x&v=1", arn: "arn:aws:codepipeline:us-east-1:111122223333:webhook:x", ...extra });
    const ok = definition().webhook;
    const listed = {
      webhooks: [
        item({ ...ok, authenticationConfiguration: { SecretToken: "****" } }),
        item({ ...ok, name: "second", authentication: "IP", authenticationConfiguration: { AllowedIPRange: "10.0.0.0/33" } }),
        item({ ...ok, name: "third", authenticationConfiguration: { SecretToken: "****" } }, { tags: [{ key: "aws:x", value: "y" }] }),
      ],
    };
    await typeDefinition(page, json(listed), "invalid");
    const found = await problems(page);
    assert.deepEqual(
      found.map((p) => p.path).sort(),
      ["webhooks[1].definition.authenticationConfiguration.AllowedIPRange", "webhooks[2].tags[0].key"],
      JSON.stringify(found, null, 1),
    );
    assert.match(await page.getByTestId("verdict-summary").textContent(), /3 webhooks checked/);
    assert.equal(await page.getByTestId("webhook-choice").locator("option").count(), 3);
    await shots(page, "04-list-webhooks");
    await page.close();
  });

  test("definition_odd_inputs_each_give_a_problem_not_a_crash", T, async () => {
    const page = await browser.open();
    const odd = ["null", "[]", "42", '"a string"', "{}", '{"webhooks": [1]}', "[".repeat(5000) + "]".repeat(5000)];
    for (const text of odd) {
      await typeDefinition(page, text, "invalid");
      const found = await problems(page);
      assert.ok(found.length >= 1, `${text.slice(0, 20)}: ${JSON.stringify(found)}`);
      assert.ok(found.every((p) => p.type.endsWith("Exception")), `${text.slice(0, 20)}: ${JSON.stringify(found)}`);
    }
    await typeDefinition(page, '{"webhooks": []}', "valid");
    await page.close();
  });

  test("definition_copy_puts_formatted_json_on_the_clipboard", T, async () => {
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(browser.server.url).origin });
    const page = await browser.open();
    await typeDefinition(page, JSON.stringify(definition()), "valid");
    await page.getByTestId("copy").click();
    await page.waitForFunction(() => /Copied/.test(document.querySelector('[data-testid="toolbar-status"]').textContent));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), json(definition()) + "\n");
    await page.close();
  });

  test("pipeline_output_checks_target_and_fills_action_configuration", T, async () => {
    const page = await browser.open();
    await typeDefinition(page, json(definition({ targetAction: "Fetch" })), "valid");
    await page.getByTestId("load-pipeline").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="verdict"]').dataset.state === "invalid");
    const found = await problems(page);
    assert.ok(found.length >= 1, "a target action not in the first stage is a problem");
    assert.ok(found.every((p) => p.path.startsWith("webhook.")), JSON.stringify(found));
    assert.match(await page.getByTestId("pipeline-status").textContent(), /No action named "Fetch"/);

    await typeDefinition(page, json(definition()), "valid");
    const config = JSON.parse(await page.getByTestId("action-config").inputValue());
    assert.equal(config.Branch, "master");
    assert.match(await page.getByTestId("action-config-source").textContent(), /Filled from action "Source"/);

    await typeDefinition(page, json(definition({ targetPipeline: "other-pipeline" })), "invalid");
    assert.deepEqual((await problems(page)).map((p) => p.type), ["PipelineNotFoundException"]);
    assert.match(await page.getByTestId("pipeline-status").textContent(), /the webhook targets "other-pipeline"/);
    await shots(page, "05-pipeline-checks");
    await page.close();
  });

  test("delivery_signed_push_matching_branch_accepted", T, async () => {
    const { page, body } = await pushReady("master");
    await page.getByTestId("sign").click();
    await page.waitForFunction(() => /X-Hub-Signature-256: sha256=[0-9a-f]{64}/.test(document.querySelector('[data-testid="headers"]').value));
    const headers = await page.getByTestId("headers").inputValue();
    const signed = /X-Hub-Signature-256: (\S+)/.exec(headers)[1];
    assert.equal(signed, await sign(SECRET, body), "the page's WebCrypto signature is GitHub's");
    assert.match(headers, /^X-GitHub-Event: push$/m);

    const d = await evaluate(page);
    assert.equal(d.outcome, "accepted", d.text);
    assert.match(d.text, /accepted/);
    assert.equal(d.status, "HTTP 200");
    assert.match(d.text, /6113728f27ae82c7b1a177c8d03f9e96e0adf246/, "shows the revision the pipeline would build");
    const rows = await filterRows(page);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].selected, "refs/heads/master");
    assert.match(rows[0].result, /pass/);
    await shots(page, "06-delivery-accepted");
    await page.close();
  });

  test("delivery_push_other_branch_filtered_rule_table_shows_selected_ref", T, async () => {
    const { page } = await pushReady("main");
    await page.getByTestId("sign").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="headers"]').value.includes("X-Hub-Signature-256"));
    const d = await evaluate(page);
    assert.equal(d.outcome, "filtered", d.text);
    assert.match(d.text, /filtered/);
    assert.equal(d.status, "HTTP 200");
    const [row, ...more] = await filterRows(page);
    assert.equal(more.length, 0);
    assert.equal(row.path, "$.ref");
    assert.match(row.expected, /^refs\/heads\/main\b/);
    assert.match(row.expected, /refs\/heads\/\{Branch\}/, "shows the rule before substitution too");
    assert.equal(row.selected, "refs/heads/master");
    assert.match(row.result, /fail/);
    await shots(page, "07-delivery-filtered");
    await page.close();
  });

  test("delivery_wrong_secret_unauthorized", T, async () => {
    const { page, body } = await pushReady("master");
    const forged = await sign("not the secret", body);
    const headers = await page.getByTestId("headers").inputValue();
    await page.getByTestId("headers").fill(`${headers}\nX-Hub-Signature-256: ${forged}`);
    const d = await evaluate(page);
    assert.equal(d.outcome, "unauthorized", d.text);
    assert.equal(d.status, "HTTP 401");
    assert.ok(!d.text.includes(SECRET), "the decision does not show the secret");
    assert.equal(await page.getByTestId("filter-row").count(), 0, "no filter ran");
    await shots(page, "08-delivery-unauthorized");
    await page.close();
  });

  test("delivery_form_encoded_signed_push_accepted", T, async () => {
    const { page, body } = await pushReady("master");
    await page.getByTestId("form-encoded").check();
    assert.match(await page.getByTestId("headers").inputValue(), /^Content-Type: application\/x-www-form-urlencoded$/m);
    await page.getByTestId("sign").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="headers"]').value.includes("X-Hub-Signature-256"));
    const signed = /X-Hub-Signature-256: (\S+)/.exec(await page.getByTestId("headers").inputValue())[1];
    assert.equal(signed, await sign(SECRET, new URLSearchParams({ payload: body }).toString()), "signed over the form body");
    const d = await evaluate(page);
    assert.equal(d.outcome, "accepted", d.text);
    await page.getByTestId("form-encoded").uncheck();
    assert.match(await page.getByTestId("sign-status").textContent(), /changed since it was signed/);
    assert.equal((await evaluate(page)).outcome, "unauthorized", "the JSON body does not match the form's signature");
    await page.close();
  });

  test("delivery_ip_authentication_forbidden_outside_range_accepted_inside", T, async () => {
    const page = await browser.open();
    const ip = definition({ authentication: "IP", authenticationConfiguration: { AllowedIPRange: "192.0.2.0/24" }, filters: [] });
    await typeDefinition(page, json(ip), "valid");
    await pickSample(page, "push-new-branch");
    await page.getByTestId("source-ip").fill("198.51.100.7");
    let d = await evaluate(page);
    assert.equal(d.outcome, "forbidden", d.text);
    assert.equal(d.status, "HTTP 403");
    await page.getByTestId("source-ip").fill("192.0.2.44");
    d = await evaluate(page);
    assert.equal(d.outcome, "accepted", d.text);
    assert.match(await page.getByTestId("filters-note").textContent(), /no filter rules/);
    await page.close();
  });

  test("delivery_signing_without_webcrypto_uses_builtin_sha256", T, async () => {
    // As on a plain-http host, where browsers leave crypto.subtle undefined.
    const page = await browser.open("", LAPTOP, () => {
      Object.defineProperty(Crypto.prototype, "subtle", { get: () => undefined, configurable: true });
    });
    assert.equal(await page.evaluate(() => globalThis.crypto.subtle), undefined);
    await typeDefinition(page, json(definition()), "valid");
    const body = await pickSample(page, "push-new-branch");
    await page.getByTestId("sign").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="headers"]').value.includes("X-Hub-Signature-256"));
    assert.match(await page.getByTestId("sign-status").textContent(), /built-in SHA-256/);
    const signed = /X-Hub-Signature-256: (\S+)/.exec(await page.getByTestId("headers").inputValue())[1];
    assert.equal(signed, await sign(SECRET, body));
    await page.close();
  });

  test("page_is_usable_with_the_keyboard_alone", T, async () => {
    const { page } = await pushReady("master");
    await page.locator("a.skip").focus(); // the first thing on the page
    const reached = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      const id = await page.evaluate(() => {
        const a = document.activeElement;
        const style = getComputedStyle(a);
        return `${a.dataset.testid ?? a.id ?? a.tagName}${style.outlineStyle === "none" ? "(no outline)" : ""}`;
      });
      reached.push(id);
      if (id.startsWith("evaluate")) break;
    }
    for (const id of ["load-example", "copy", "share", "definition", "load-pipeline", "pipeline", "sample", "payload", "form-encoded", "headers", "sign", "source-ip", "action-config", "evaluate"]) {
      assert.ok(reached.includes(id), `Tab reaches ${id} with a visible focus ring: ${reached.join(" ")}`);
    }
    await page.keyboard.press("Enter");
    await page.getByTestId("decision").waitFor();
    await page.close();
  });

  test("delivery_ctrl_enter_evaluates_from_the_keyboard", T, async () => {
    const { page } = await pushReady("master");
    await page.getByTestId("payload").focus();
    await page.keyboard.press("Control+Enter");
    await page.getByTestId("decision").waitFor();
    assert.equal(await page.getByTestId("decision").getAttribute("data-outcome"), "unauthorized", "unsigned push");
    await page.close();
  });

  test("delivery_sample_picker_sets_payload_and_event_header", T, async () => {
    const page = await browser.open();
    const options = await page.$$eval('[data-testid="sample"] option', (os) => os.map((o) => [o.value, o.textContent]).filter(([v]) => v));
    const expected = {
      "push-new-branch": ["push.with-new-branch.payload.json", "push"],
      "push-tag-deleted": ["push.payload.json", "push"],
      "delete-tag": ["delete.payload.json", "delete"],
      ping: ["ping.payload.json", "ping"],
      "pull-request-opened": ["pull_request.opened.payload.json", "pull_request"],
      "release-published": ["release.published.payload.json", "release"],
    };
    assert.deepEqual(options.map(([v]) => v).sort(), Object.keys(expected).sort());
    for (const [id, [file, event]] of Object.entries(expected)) {
      const body = await readFile(new URL(file, SAMPLES), "utf8");
      await page.getByTestId("sample").selectOption(id);
      await page.waitForFunction((len) => document.querySelector('[data-testid="payload"]').value.length === len, body.length);
      assert.equal(await page.getByTestId("payload").inputValue(), body, id);
      const headers = await page.getByTestId("headers").inputValue();
      assert.match(headers, new RegExp(`^X-GitHub-Event: ${event}$`, "m"), id);
      assert.equal(headers.match(/X-GitHub-Event/gi).length, 1, `${id}: one event header`);
    }
    await page.close();
  });

  test("share_link_restores_definition_without_secret", T, async () => {
    const page = await browser.open();
    await typeDefinition(page, json(definition()), "valid");
    await page.getByTestId("share").click();
    await page.getByTestId("share-url").waitFor();
    const url = await page.getByTestId("share-url").inputValue();
    assert.ok(url.startsWith(browser.server.url + "#def="), url);
    assert.ok(!url.includes(encodeURIComponent(SECRET)) && !url.includes(Buffer.from(SECRET).toString("base64url")));
    await page.close();

    const shared = await browser.open(new URL(url).hash);
    await shared.waitForFunction(() => document.querySelector("#definition").value !== "");
    const restored = JSON.parse(await shared.locator("#definition").inputValue());
    const expected = definition();
    expected.webhook.authenticationConfiguration.SecretToken = "****";
    assert.deepEqual(restored, expected);
    assert.ok(!(await shared.content()).includes(SECRET), "the secret is nowhere in the page");
    await shared.waitForFunction(() => document.querySelector('[data-testid="verdict"]').dataset.state === "valid");
    await shots(shared, "09-shared-link");
    await shared.close();
  });

  test("layout_phone_and_laptop_have_no_sideways_scroll", T, async () => {
    for (const [name, viewport] of [["laptop", LAPTOP], ["phone", PHONE]]) {
      const page = await browser.open("", viewport);
      await page.getByTestId("load-example").click();
      await page.getByTestId("load-pipeline").click();
      await page.getByTestId("sample").selectOption("pull-request-opened");
      await page.waitForFunction(() => document.querySelector('[data-testid="headers"]').value.includes("pull_request"));
      await page.getByTestId("sign").click();
      await page.waitForFunction(() => document.querySelector('[data-testid="headers"]').value.includes("X-Hub-Signature-256"));
      await page.getByTestId("evaluate").click();
      await page.getByTestId("decision").waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name}: page is ${overflow}px wider than the screen`);
      await shot(page, `10-layout-${name}`);
      await page.close();
    }
  });

  test("page_requests_stay_on_its_own_origin_without_errors", T, async () => {
    assert.deepEqual(browser.offsite, [], "requests that left the page's origin");
    assert.deepEqual(browser.consoleErrors, [], "console errors");
    if (!browser.server.requests) return; // served elsewhere: its request log is not ours to read
    const asked = new Set(browser.server.requests.map((u) => u.split("?")[0]));
    assert.ok(asked.has("/pkg/web.js") && [...asked].some((u) => u.endsWith(".wasm")), [...asked].join(" "));
  });
});
