// The template readers' placing of problems (js/formats/, from the repository: the package bundles
// them), where no core problem can show it yet: a problem with a character `column` inside a string
// value is underlined from that character, across escapes.

import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, test } from "node:test";

import { REPO_ROOT } from "./helpers.mjs";

const formats = await import(pathToFileURL(join(REPO_ROOT, "js/formats/index.js")).href);
const { SourceMap, stringOffset } = await import(pathToFileURL(join(REPO_ROOT, "js/formats/source.js")).href);

/** What the text holds from the place `column` maps to, to the end of the value. */
function from(text, path, column) {
  const read = formats.readInput(text);
  const check = () => ({ valid: false, problems: [{ type: "InvalidWebhookFilterPatternException", path: "webhook.filters[0].jsonPath", message: "m", column }] });
  const [problem] = formats.checkTemplate(read, check).problems.filter((p) => p.path === path);
  return text.slice(problem.location.offset, problem.location.endOffset);
}

describe("a problem's column inside a string value", () => {
  test("formats_column_maps_through_yaml_json_and_hcl_escapes", () => {
    const yaml = 'Resources:\n  H:\n    Type: AWS::CodePipeline::Webhook\n    Properties:\n      Filters:\n        - JsonPath: "$.a\\u00e9[?(@ == 1)"\n';
    assert.equal(from(yaml, "Resources.H.Properties.Filters[0].JsonPath", 5), "[?(@ == 1)");
    const single = "Resources:\n  H:\n    Type: AWS::CodePipeline::Webhook\n    Properties:\n      Filters:\n        - JsonPath: '$[''a'']x'\n";
    assert.equal(from(single, "Resources.H.Properties.Filters[0].JsonPath", 7), "x");
    const json = JSON.stringify({ Resources: { H: { Type: "AWS::CodePipeline::Webhook", Properties: { Filters: [{ JsonPath: '$["q"]é(' }] } } } });
    assert.equal(from(json, "Resources.H.Properties.Filters[0].JsonPath", 8), "(");
    const hcl = 'resource "aws_codepipeline_webhook" "w" {\n  filter {\n    json_path = "$[\\"k\\"]$${x}"\n  }\n}\n';
    assert.equal(from(hcl, "aws_codepipeline_webhook.w.filter[0].json_path", 7), "$${x}");
  });
  test("formats_column_outside_the_value_underlines_the_whole_value", () => {
    const text = '{"a": "abc"}';
    const map = new SourceMap(text);
    map.set("a", { from: 6, to: 11, style: "double", contentFrom: 7, contentTo: 10 });
    assert.equal(stringOffset(text, map.get("a"), 9), undefined);
    const at = map.locate("a", 9);
    assert.equal(text.slice(at.offset, at.endOffset), '"abc"');
    assert.deepEqual([at.line, at.column], [1, 7]);
  });
});
