// Where users author webhooks: CloudFormation (JSON, YAML) and Terraform (HCL, its JSON syntax,
// `terraform show -json`) read by the installed package and by its CLI, each problem named by its
// place in the file.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import { INSTALL_DIR, REPO_ROOT, pipehook, validateWebhook } from "./helpers.mjs";

const FIXTURES = join(REPO_ROOT, "pkg-tests/fixtures/templates");
const fixture = (name) => readFileSync(join(FIXTURES, name), "utf8");
const { readWebhooks } = pipehook;

/** The text a located problem or note points at. */
const spanOf = (text, item) => text.slice(item.location.offset, item.location.endOffset);
const lineOf = (text, item) => text.split("\n")[item.location.line - 1];

function find(result, path, type, message) {
  const found = result.problems.find((p) => p.path === path && (type === undefined || p.type === type) && (message === undefined || message.test(p.message)));
  assert.ok(found, `no ${type ?? "problem"} at ${path}; got ${JSON.stringify(result.problems, null, 1)}`);
  assert.ok(found.location, `${path} has a location`);
  return found;
}

function assertValid(result, format) {
  assert.equal(result.format, format);
  assert.deepEqual(result.problems, [], JSON.stringify(result.problems, null, 1));
  assert.equal(result.valid, true);
}

const noteAt = (result, path) => result.notes.find((n) => n.path === path);

// ------------------------------------------------------------------------------------------------
// CloudFormation

const BROKEN_CFN_YAML = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Secret:
    Type: String
    NoEcho: true
Resources:
  MainHook:
    Type: AWS::CodePipeline::Webhook
    Properties:
      Name: main hook
      Authentication: IP
      AuthenticationConfiguration:
        AllowedIPRange: 10.0.0.0/33
        SecretToken: !Ref Secret
      Filters:
        - JsonPath: "$.ref[0"
          MatchEquals: refs/heads/{Branch}
        - JsonPath: $.repository.name
          MatchEquals: "{Repository}"
          Extra: 1
      TargetPipeline: !Ref Pipeline
      TargetAction: Build
      TargetPipelineVersion: latest
      Tags: []
  SecondHook:
    Type: AWS::CodePipeline::Webhook
    Properties:
      Authentication: UNAUTHENTICATED
      AuthenticationConfiguration: {}
      Filters: []
      TargetPipeline: !Ref Pipeline
      TargetAction: Source
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: app
      RoleArn: arn:aws:iam::111122223333:role/pipeline
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: { Category: Source, Owner: ThirdParty, Provider: GitHub, Version: "1" }
              Configuration: { Owner: octo, Repo: app, Branch: main, OAuthToken: !Ref Secret }
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: { Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1" }
              Configuration: { ProjectName: app }
`;

describe("CloudFormation", () => {
  test("cfn_aws_doc_examples_json_and_yaml_are_valid_with_deploy_time_notes", () => {
    for (const [file, format] of [["aws-doc-webhook.json", "cloudformation-json"], ["aws-doc-webhook.yaml", "cloudformation-yaml"]]) {
      const text = fixture(file);
      const r = validateWebhook(text);
      assertValid(r, format);
      assert.deepEqual(r.webhooks.map((w) => w.resource), ["Webhook"]);
      const secret = noteAt(r, "Webhook.Properties.AuthenticationConfiguration.SecretToken");
      assert.equal(secret.message, "not checked: resolved at deploy time", file);
      assert.match(spanOf(text, secret), /\{\{resolve:secretsmanager:MyGitHubSecret:SecretString:token\}\}/, file);
      assert.match(noteAt(r, "Webhook.Properties.TargetPipeline").message, /resolved at deploy time \(!Ref WebhookPipeline\)/);
      assert.match(noteAt(r, "Webhook.Properties.TargetPipelineVersion").message, /!GetAtt WebhookPipeline\.Version/);
    }
  });

  test("cfn_user_guide_template_checks_against_its_own_pipeline", () => {
    const text = fixture("aws-doc-github-pipeline.yaml");
    const r = validateWebhook(text);
    assertValid(r, "cloudformation-yaml");
    // `!Ref AppPipeline` is the pipeline's Name, which the template gives: nothing left unchecked there.
    assert.equal(noteAt(r, "Resources.AppPipelineWebhook.Properties.TargetPipeline"), undefined);
    // …and the webhook is checked against that pipeline: a target outside its first stage is refused.
    const moved = validateWebhook(text.replace("TargetAction: SourceAction", "TargetAction: BetaAction"));
    const p = find(moved, "Resources.AppPipelineWebhook.Properties.TargetAction", "ValidationException");
    assert.match(p.message, /it is in stage 'Beta'/);
    assert.equal(spanOf(text.replace("TargetAction: SourceAction", "TargetAction: BetaAction"), p), "BetaAction");
  });

  test("cfn_cdk_synthesised_template_is_valid", () => {
    const text = fixture("cdk-github-source.template.json");
    const r = validateWebhook(text);
    assertValid(r, "cloudformation-json");
    assert.deepEqual(r.webhooks.map((w) => w.resource), ["PipelineSourceGitHubWebhookResource60875CAB"]);
    assert.deepEqual(r.notes.map((n) => n.path), ["Resources.PipelineSourceGitHubWebhookResource60875CAB.Properties.AuthenticationConfiguration.SecretToken"]);
    // The same template as a parsed object: the same verdict, without locations.
    const fromObject = validateWebhook(JSON.parse(text));
    assert.equal(fromObject.valid, true);
    assert.equal(fromObject.format, "cloudformation");
  });

  test("cfn_yaml_every_kind_of_problem_named_by_path_line_and_column", () => {
    const text = BROKEN_CFN_YAML;
    const r = validateWebhook(text);
    assert.equal(r.valid, false);
    assert.equal(r.format, "cloudformation-yaml");
    const props = "Resources.MainHook.Properties";

    const name = find(r, `${props}.Name`, "ValidationException");
    assert.match(name.message, /Value 'main hook' at 'webhook.name' failed to satisfy constraint/);
    assert.equal(name.memberPath, "webhook.name");
    assert.equal(name.resource, "MainHook");
    assert.deepEqual([name.location.line, name.location.column], [10, 13]);
    assert.equal(spanOf(text, name), "main hook");

    const path = find(r, `${props}.Filters[0].JsonPath`, "InvalidWebhookFilterPatternException");
    // Underlined from the column the path fails at (the '[' that is never closed) to its end.
    assert.equal(path.column, 6);
    assert.equal(spanOf(text, path), "[0");
    assert.equal(path.location.line, 16);

    const range = find(r, `${props}.AuthenticationConfiguration.AllowedIPRange`, "InvalidWebhookAuthenticationParametersException");
    assert.equal(spanOf(text, range), "10.0.0.0/33");
    const token = find(r, `${props}.AuthenticationConfiguration.SecretToken`, "InvalidWebhookAuthenticationParametersException");
    assert.match(token.message, /SecretToken must not be set for IP authentication/);

    // Checked against the template's pipeline: Build is in its second stage; {Repository} is no key of Source.
    const action = find(r, `${props}.TargetAction`, "ValidationException");
    assert.match(action.message, /first stage/);
    assert.equal(spanOf(text, action), "Build");
    // (placeholders are checked once every rule's path is sound, as the API does)
    const second = validateWebhook(text.replace("TargetAction: Build", "TargetAction: Source").replace('"$.ref[0"', '"$.ref"'));
    const placeholder = find(second, `${props}.Filters[1].MatchEquals`, "InvalidWebhookFilterPatternException");
    assert.match(placeholder.message, /\{Repository\}/);

    // What CloudFormation refuses itself, against the resource's schema.
    assert.match(find(r, `${props}.TargetPipelineVersion`, "ValidationError").message, /#\/TargetPipelineVersion: expected type: Integer, found: String/);
    assert.match(find(r, `${props}.Tags`, "ValidationError").message, /#: extraneous key \[Tags\] is not permitted/);
    assert.match(find(r, `${props}.Filters[1].Extra`, "ValidationError").message, /#\/Filters\/1: extraneous key \[Extra\]/);
    const required = find(r, "Resources.SecondHook.Properties", "ValidationError");
    assert.match(required.message, /required key \[TargetPipelineVersion\] not found/);
    assert.equal(lineOf(text, required).trim(), "Properties:");

    // In file order, as a compiler lists them.
    const offsets = r.problems.map((p) => p.location.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    // The !Ref'd SecretToken is not a value to check, and no problem quotes it.
    assert.ok(!JSON.stringify(r).includes("!Ref Secret"));
  });

  test("cfn_json_the_same_template_gives_the_same_problems_at_json_places", () => {
    const yamlResult = validateWebhook(BROKEN_CFN_YAML);
    const json = JSON.stringify(
      {
        Resources: {
          MainHook: {
            Type: "AWS::CodePipeline::Webhook",
            Properties: {
              Name: "main hook",
              Authentication: "GITHUB_HMAC",
              AuthenticationConfiguration: { SecretToken: { Ref: "Secret" } },
              Filters: [{ JsonPath: "$.ref[0", MatchEquals: "refs/heads/main" }],
              TargetPipeline: "elsewhere",
              TargetAction: "Source",
              TargetPipelineVersion: 1,
            },
          },
        },
      },
      null,
      2,
    );
    const r = validateWebhook(json);
    assert.equal(r.format, "cloudformation-json");
    assert.deepEqual(r.problems.map((p) => [p.type, p.path]), [
      ["ValidationException", "Resources.MainHook.Properties.Name"],
      ["InvalidWebhookFilterPatternException", "Resources.MainHook.Properties.Filters[0].JsonPath"],
    ]);
    assert.equal(spanOf(json, r.problems[0]), '"main hook"');
    assert.equal(r.problems[1].message, yamlResult.problems.find((p) => p.memberPath === "webhook.filters[0].jsonPath").message);
  });

  test("cfn_null_values_and_wrong_types_are_refused_as_cloudformation_does", () => {
    const text = `Resources:\n  H:\n    Type: AWS::CodePipeline::Webhook\n    Properties:\n      Name:\n      Authentication: GITHUB_HMAC\n      AuthenticationConfiguration: {SecretToken: abcd}\n      Filters: {JsonPath: $.ref}\n      TargetPipeline: p\n      TargetAction: a\n      TargetPipelineVersion: 1\n      RegisterWithThirdParty: maybe\n`;
    const r = validateWebhook(text);
    assert.match(find(r, "Resources.H.Properties.Name", "ValidationError").message, /'null' values are not allowed in templates/);
    assert.match(find(r, "Resources.H.Properties.Filters", "ValidationError").message, /expected type: JSONArray, found: JSONObject/);
    assert.match(find(r, "Resources.H.Properties.RegisterWithThirdParty", "ValidationError").message, /expected type: Boolean/);
    // A template without a webhook has nothing to check, and says so.
    const none = validateWebhook("Resources:\n  B:\n    Type: AWS::S3::Bucket\n");
    assert.equal(none.valid, false);
    assert.match(none.problems[0].message, /declares no AWS::CodePipeline::Webhook/);
  });

  test("cfn_fn_sub_without_variables_is_a_value_and_with_variables_a_note", () => {
    const base = (matchEquals) =>
      `Resources:\n  H:\n    Type: AWS::CodePipeline::Webhook\n    Properties:\n      Authentication: UNAUTHENTICATED\n      AuthenticationConfiguration: {}\n      Filters:\n        - JsonPath: $.ref\n          MatchEquals: ${matchEquals}\n      TargetPipeline: p\n      TargetAction: a\n      TargetPipelineVersion: 1\n`;
    const literal = validateWebhook(base(`!Sub "${"x".repeat(151)}"`));
    assert.equal(find(literal, "Resources.H.Properties.Filters[0].MatchEquals", "ValidationException").memberPath, "webhook.filters[0].matchEquals");
    const computed = validateWebhook(base('!Sub "refs/heads/${Branch}"'));
    assert.equal(computed.valid, true);
    assert.match(noteAt(computed, "Resources.H.Properties.Filters[0].MatchEquals").message, /!Sub refs\/heads\/\$\{Branch\}/);
  });

  test("cfn_yaml_syntax_error_is_placed", () => {
    const r = validateWebhook("Resources:\n  H:\n    Type: AWS::CodePipeline::Webhook\n    Properties: [\n");
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0].type, "SerializationException");
    assert.match(r.problems[0].message, /^YAML syntax error: /);
    assert.ok(r.problems[0].location.line >= 4, JSON.stringify(r.problems[0]));
  });
});

// ------------------------------------------------------------------------------------------------
// Terraform

const BROKEN_TF = `variable "branch" {
  type = string
}

resource "aws_codepipeline" "app" {
  name     = "app"
  role_arn = "arn:aws:iam::111122223333:role/pipeline"
  stage {
    name = "Source"
    action {
      name     = "Source"
      category = "Source"
      owner    = "ThirdParty"
      provider = "GitHub"
      version  = "1"
      configuration = {
        Owner  = "octo"
        Repo   = "app"
        Branch = var.branch
      }
    }
  }
  stage {
    name = "Build"
    action {
      name     = "Build"
      category = "Build"
      owner    = "AWS"
      provider = "CodeBuild"
      version  = "1"
      configuration = { ProjectName = "app" }
    }
  }
}

resource "aws_codepipeline_webhook" "main" {
  name            = "main hook"
  authentication  = "IP"
  target_action   = "Build"
  target_pipeline = aws_codepipeline.app.name
  colour          = "blue"

  authentication_configuration {
    allowed_ip_range = "2001:db8::/64"
    secret_token     = "ignored-for-ip"
  }

  filter {
    json_path    = "$.ref[0"
    match_equals = "refs/heads/\${var.branch}"
  }
  filter {
    json_path = "$.repository.name"
  }

  tags = {
    "aws:team" = "ci"
  }
}
`;

describe("Terraform", () => {
  test("tf_provider_example_is_valid_and_checked_against_its_pipeline", () => {
    const text = fixture("terraform/provider-example.tf");
    const r = validateWebhook(text);
    assertValid(r, "terraform-hcl");
    assert.deepEqual(r.webhooks.map((w) => w.resource), ["aws_codepipeline_webhook.bar"]);
    const secret = noteAt(r, "aws_codepipeline_webhook.bar.authentication_configuration[0].secret_token");
    assert.equal(spanOf(text, secret), "local.webhook_secret");
    // target_pipeline = aws_codepipeline.bar.name is resolved from the file, and checked against that pipeline.
    const wrong = text.replace('match_equals = "refs/heads/{Branch}"', 'match_equals = "refs/heads/{Brunch}"');
    const p = find(validateWebhook(wrong), "aws_codepipeline_webhook.bar.filter[0].match_equals", "InvalidWebhookFilterPatternException");
    assert.match(p.message, /\{Brunch\}/);
    assert.equal(spanOf(wrong, p), '"refs/heads/{Brunch}"');
  });

  test("tf_hcl_every_kind_of_problem_named_by_address_line_and_column", () => {
    const text = BROKEN_TF;
    const r = validateWebhook(text);
    assert.equal(r.format, "terraform-hcl");
    const hook = "aws_codepipeline_webhook.main";
    const name = find(r, `${hook}.name`, "ValidationException");
    assert.equal(spanOf(text, name), '"main hook"');
    assert.deepEqual([name.location.line, name.location.column], [37, 21]);
    assert.equal(spanOf(text, find(r, `${hook}.filter[0].json_path`, "InvalidWebhookFilterPatternException")), "[0");
    assert.match(find(r, `${hook}.target_action`, "ValidationException").message, /it is in stage 'Build'/);
    const tag = find(r, `${hook}.tags["aws:team"]`, "InvalidTagsException");
    assert.equal(spanOf(text, tag), '"aws:team"', "a key's problem points at the key");
    // What Terraform and the provider refuse before AWS is called.
    assert.match(find(r, `${hook}.colour`, "TerraformError").message, /Unsupported argument: An argument named "colour" is not expected here/);
    assert.ok(find(r, `${hook}.filter[1]`, "TerraformError", /The argument "match_equals" is required/));
    assert.match(find(r, `${hook}.authentication_configuration[0].allowed_ip_range`, "TerraformError").message, /between 0 and 32 significant bits, got: 64/);
    // Interpolations are resolved at plan time; the provider drops secret_token for IP webhooks.
    assert.match(noteAt(r, `${hook}.filter[0].match_equals`).message, /resolved at deploy time \("refs\/heads\/\$\{var\.branch\}"\)/);
    assert.match(noteAt(r, `${hook}.authentication_configuration[0].secret_token`).message, /not sent/);
    assert.ok(!JSON.stringify(r).includes("ignored-for-ip"));
  });

  test("tf_block_counts_and_syntax_errors", () => {
    const six = Array.from({ length: 6 }, () => '  filter {\n    json_path = "$.ref"\n    match_equals = "x"\n  }').join("\n");
    const many = `resource "aws_codepipeline_webhook" "w" {\n  name = "w"\n  authentication = "UNAUTHENTICATED"\n  target_action = "a"\n  target_pipeline = "p"\n${six}\n}\n`;
    const r = validateWebhook(many);
    assert.match(find(r, "aws_codepipeline_webhook.w.filter[5]", "TerraformError").message, /No more than 5 "filter" blocks/);
    assert.ok(r.problems.some((p) => p.type === "ValidationException" && p.path === "aws_codepipeline_webhook.w.filter"), JSON.stringify(r.problems));
    const none = validateWebhook('resource "aws_codepipeline_webhook" "w" {\n  name = "w"\n}\n');
    const insufficient = find(none, "aws_codepipeline_webhook.w", "TerraformError", /At least 1 "filter" blocks are required/);
    assert.equal(insufficient.location.line, 1, "placed at the resource's header");
    const broken = validateWebhook('resource "aws_codepipeline_webhook" "w" {\n  name = \n}\n');
    assert.equal(broken.problems[0].type, "SerializationException");
    assert.match(broken.problems[0].message, /^HCL syntax error/);
    assert.equal(broken.problems[0].location.line, 3);
  });

  test("tf_show_json_state_is_read_with_places_in_the_json", () => {
    const text = fixture("terraform/show-state.json");
    assertValid(validateWebhook(text), "terraform-json");
    const wrong = text.replace('"json_path": "$.ref"', '"json_path": "$.ref[0"');
    const r = validateWebhook(wrong);
    const p = find(r, "aws_codepipeline_webhook.bar.filter[0].json_path", "InvalidWebhookFilterPatternException");
    assert.equal(spanOf(wrong, p), "[0");
    // A plan: values known only after apply are notes.
    const plan = JSON.parse(text);
    plan.planned_values = plan.values;
    delete plan.values;
    delete plan.planned_values.root_module.resources[1].values.authentication_configuration[0].secret_token;
    plan.resource_changes = [{ address: "aws_codepipeline_webhook.bar", change: { after_unknown: { authentication_configuration: [{ secret_token: true }] } } }];
    const planned = validateWebhook(JSON.stringify(plan, null, 2));
    assert.equal(planned.valid, true, JSON.stringify(planned.problems));
    assert.match(noteAt(planned, "aws_codepipeline_webhook.bar.authentication_configuration[0].secret_token").message, /resolved at deploy time/);
  });
});

// ------------------------------------------------------------------------------------------------
// Terraform's JSON syntax (`*.tf.json`, CDK for Terraform's `cdk.tf.json`)

/** What a problem or note says, without where (the same configuration in HCL and JSON). */
const said = (items) => items.map((p) => [p.type, p.path, p.message]);

describe("Terraform JSON syntax", () => {
  test("tfjson_provider_example_is_valid_and_read_as_its_hcl_form", () => {
    const text = fixture("terraform/provider-example.tf.json");
    const r = validateWebhook(text);
    assertValid(r, "terraform-json-config");
    assert.deepEqual(r.webhooks.map((w) => w.resource), ["aws_codepipeline_webhook.bar"]);
    const secret = noteAt(r, "aws_codepipeline_webhook.bar.authentication_configuration[0].secret_token");
    assert.equal(spanOf(text, secret), '"${local.webhook_secret}"');
    // The same PutWebhook input and the same pipeline as the HCL file gives.
    const hcl = readWebhooks(fixture("terraform/provider-example.tf"));
    const json = readWebhooks(text);
    assert.deepEqual(json.webhooks.map((w) => [w.input, w.pipeline]), hcl.webhooks.map((w) => [w.input, w.pipeline]));
    assert.deepEqual(said(r.notes), said(validateWebhook(fixture("terraform/provider-example.tf")).notes));
    // target_pipeline = "${aws_codepipeline.bar.name}" is resolved from the file, and checked against that pipeline.
    const wrong = text.replace('"match_equals": "refs/heads/{Branch}"', '"match_equals": "refs/heads/{Brunch}"');
    const p = find(validateWebhook(wrong), "aws_codepipeline_webhook.bar.filter[0].match_equals", "InvalidWebhookFilterPatternException");
    assert.match(p.message, /\{Brunch\}/);
    assert.equal(spanOf(wrong, p), '"refs/heads/{Brunch}"');
  });

  test("tfjson_every_kind_of_problem_named_by_address_line_and_column", () => {
    const text = fixture("terraform/broken.tf.json");
    const r = validateWebhook(text);
    assert.equal(r.format, "terraform-json-config");
    assert.equal(r.valid, false);
    const hook = "aws_codepipeline_webhook.main";
    const name = find(r, `${hook}.name`, "ValidationException");
    assert.equal(spanOf(text, name), '"main hook"');
    assert.deepEqual([name.location.line, name.location.column], [44, 17]);
    assert.equal(name.resource, hook);
    // A bad JSONPath: underlined from the column it fails at.
    const path = find(r, `${hook}.filter[0].json_path`, "InvalidWebhookFilterPatternException");
    assert.equal(path.column, 6);
    assert.equal(spanOf(text, path), "[0");
    assert.deepEqual([path.location.line, path.location.column], [55, 32]);
    // Checked against the file's aws_codepipeline: Build is in its second stage.
    const action = find(r, `${hook}.target_action`, "ValidationException");
    assert.match(action.message, /it is in stage 'Build'/);
    assert.equal(spanOf(text, action), '"Build"');
    // A bad authentication configuration, as the provider refuses it; the secret it drops is a note, never shown.
    const range = find(r, `${hook}.authentication_configuration[0].allowed_ip_range`, "TerraformError");
    assert.match(range.message, /between 0 and 32 significant bits, got: 64/);
    assert.equal(spanOf(text, range), '"2001:db8::/64"');
    assert.match(noteAt(r, `${hook}.authentication_configuration[0].secret_token`).message, /not sent/);
    assert.ok(!JSON.stringify(r).includes("ignored-for-ip"));
    // Terraform's own refusals, in its words for JSON.
    assert.equal(find(r, `${hook}.colour`, "TerraformError").message, 'Extraneous JSON object property: No argument or block type is named "colour".');
    assert.ok(find(r, `${hook}.filter[1]`, "TerraformError", /The argument "match_equals" is required/));
    assert.equal(spanOf(text, find(r, `${hook}.tags["aws:team"]`, "InvalidTagsException")), '"aws:team"', "a key's problem points at the key");
    // An interpolation is resolved when Terraform runs: a note at the string, not a problem.
    const note = noteAt(r, `${hook}.filter[0].match_equals`);
    assert.equal(note.message, 'not checked: resolved at deploy time ("refs/heads/${var.branch}")');
    assert.equal(spanOf(text, note), '"refs/heads/${var.branch}"');
    assert.equal(note.location.line, 56);
    const offsets = r.problems.map((p) => p.location.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), "in file order");
  });

  test("tfjson_and_hcl_forms_of_one_configuration_give_the_same_problems_and_notes", () => {
    const json = fixture("terraform/broken.tf.json");
    // Each pair: the same change made to the HCL and to the JSON form.
    const changes = [
      [[], []],
      [[['authentication  = "IP"', 'authentication  = "GITHUB_HMAC"']], [['"authentication": "IP"', '"authentication": "GITHUB_HMAC"']]],
      [[['target_action   = "Build"', 'target_action   = "Source"'], ['"$.ref[0"', '"$.ref"']], [['"target_action": "Build"', '"target_action": "Source"'], ['"$.ref[0"', '"$.ref"']]],
    ];
    const apply = (text, edits) => edits.reduce((t, [from, to]) => (assert.ok(t.includes(from), from), t.replace(from, to)), text);
    for (const [hclEdits, jsonEdits] of changes) {
      const fromHcl = validateWebhook(apply(BROKEN_TF, hclEdits));
      const fromJson = validateWebhook(apply(json, jsonEdits));
      assert.equal(fromHcl.format, "terraform-hcl");
      assert.equal(fromJson.format, "terraform-json-config");
      // Terraform words an argument it does not know differently in each syntax; all else is the same.
      const unknown = (r, summary) => r.problems.filter((p) => p.message.startsWith(summary)).map((p) => p.path);
      assert.deepEqual(unknown(fromHcl, "Unsupported argument:"), ["aws_codepipeline_webhook.main.colour"]);
      assert.deepEqual(unknown(fromJson, "Extraneous JSON object property:"), ["aws_codepipeline_webhook.main.colour"]);
      const rest = (r) => said(r.problems.filter((p) => !p.path.endsWith(".colour")));
      assert.ok(rest(fromHcl).length >= 3, JSON.stringify(fromHcl.problems));
      assert.deepEqual(rest(fromJson), rest(fromHcl), JSON.stringify(jsonEdits));
      assert.deepEqual(said(fromJson.notes), said(fromHcl.notes));
      assert.deepEqual(fromJson.webhooks.map((w) => w.resource), fromHcl.webhooks.map((w) => w.resource));
    }
  });

  test("tfjson_cdktf_synthesised_stack_is_valid_and_checked_against_its_pipeline", () => {
    const text = fixture("terraform/cdktf/cdk.tf.json");
    const r = validateWebhook(text);
    // Its "//" metadata members and its terraform, provider, variable and output blocks are no problem.
    assertValid(r, "terraform-json-config");
    assert.deepEqual(r.webhooks.map((w) => w.resource), ["aws_codepipeline_webhook.webhook"]);
    assert.deepEqual(r.notes.map((n) => [n.path, spanOf(text, n)]), [["aws_codepipeline_webhook.webhook.authentication_configuration[0].secret_token", '"${var.webhook_secret}"']]);
    const [w] = readWebhooks(text).webhooks;
    assert.equal(w.input.webhook.targetPipeline, "pipehook-example");
    assert.deepEqual(w.input.webhook.filters, [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }, { jsonPath: "$.repository.name", matchEquals: "{Repo}" }]);
    const wrong = text.replace('"match_equals": "{Repo}"', '"match_equals": "{Repository}"').replace('"target_action": "Source"', '"target_action": "Build"');
    const broken = validateWebhook(wrong);
    const action = find(broken, "aws_codepipeline_webhook.webhook.target_action", "ValidationException");
    assert.equal(spanOf(wrong, action), '"Build"');
    assert.match(action.message, /first stage/);
    const fixed = wrong.replace('"target_action": "Build"', '"target_action": "Source"');
    const placeholder = find(validateWebhook(fixed), "aws_codepipeline_webhook.webhook.filter[1].match_equals", "InvalidWebhookFilterPatternException");
    assert.match(placeholder.message, /\{Repository\}/);
    assert.equal(spanOf(fixed, placeholder), '"{Repository}"');
  });

  test("tfjson_what_only_the_json_syntax_gets_wrong_is_refused_as_terraform_does", () => {
    const text = fixture("terraform/json-syntax.tf.json");
    const r = validateWebhook(text);
    assert.equal(r.format, "terraform-json-config");
    // A block given as a string: refused for its JSON type (and not counted again as missing).
    const typed = find(r, "aws_codepipeline_webhook.typed.filter", "TerraformError");
    assert.match(typed.message, /^Incorrect JSON value type: Either a JSON object or a JSON array is required, representing the contents of one or more "filter" blocks\.$/);
    assert.equal(spanOf(text, typed), '"${var.filters}"');
    assert.ok(!r.problems.some((p) => /Insufficient filter blocks/.test(p.message)), JSON.stringify(r.problems));
    // A member given twice (JSON.parse would keep one silently).
    const twiceName = find(r, "aws_codepipeline_webhook.typed.name", "TerraformError");
    assert.equal(twiceName.message, 'Duplicate argument: The argument "name" was already set at line 42, column 11.');
    assert.equal(spanOf(text, twiceName), '"name"');
    assert.equal(twiceName.location.line, 43);
    // A resource body as an array of two objects declares the resource twice.
    const twice = r.problems.find((p) => p.message.startsWith('Duplicate resource "aws_codepipeline_webhook" configuration'));
    assert.ok(twice, JSON.stringify(r.problems));
    assert.equal(twice.resource, "aws_codepipeline_webhook.twice");
    assert.match(twice.message, /named "twice" was already declared at line 21, column 9\./);
    assert.deepEqual([twice.location.line, spanOf(text, twice)], [29, "{"]);
    // …as does the same name in two objects of an array of resources (placed at the second name).
    const split = validateWebhook(JSON.stringify({ resource: [{ aws_codepipeline_webhook: { w: {} } }, { aws_codepipeline_webhook: { w: {} } }] }, null, 1));
    const again = split.problems.find((p) => p.message.startsWith("Duplicate resource"));
    assert.deepEqual([again.path, again.location.line, again.location.column], ["resource[1].aws_codepipeline_webhook.w", 10, 5]);
    // Every string is a template: `$${` is a literal `${`, and the column of a bad JSONPath still lands in the text.
    const path = find(r, "aws_codepipeline_webhook.twice.filter[0].json_path", "InvalidWebhookFilterPatternException");
    assert.match(path.message, /JsonPath '\$\['\$\{x\}'\]\[0' .* at column 10/);
    assert.equal(spanOf(text, path), "[0");
    assert.equal(noteAt(r, "aws_codepipeline_webhook.twice.filter[0].match_equals"), undefined, "a literal, not an interpolation");
    assert.equal(readWebhooks(text).webhooks.find((w) => w.resource === "aws_codepipeline_webhook.twice").input.webhook.filters[0].matchEquals, "${literal}");
    // A bad authentication configuration (an array of one block): AWS's refusal, at the block.
    const auth = find(r, "aws_codepipeline_webhook.hmac.authentication_configuration[0].secret_token", "InvalidWebhookAuthenticationParametersException");
    assert.match(auth.message, /SecretToken is required for GITHUB_HMAC/);
    assert.equal(spanOf(text, auth), '{ "allowed_ip_range": "10.0.0.0/8" }');
    // A dynamic block and an interpolated pipeline are known when Terraform runs.
    assert.match(noteAt(r, "aws_codepipeline_webhook.generated.filter").message, /^not checked: resolved at deploy time/);
    assert.match(noteAt(r, "aws_codepipeline_webhook.generated.target_pipeline").message, /\("\$\{var\.pipeline\}"\)/);
    assert.deepEqual(r.webhooks.map((w) => w.resource), ["aws_codepipeline_webhook.hmac", "aws_codepipeline_webhook.twice", "aws_codepipeline_webhook.typed", "aws_codepipeline_webhook.generated"]);
  });

  test("tfjson_repeated_blocks_in_one_object_are_refused_clearly", () => {
    const text = `{
  "resource": {
    "aws_codepipeline_webhook": {
      "w": {
        "name": "w",
        "authentication": "UNAUTHENTICATED",
        "target_action": "a",
        "target_pipeline": "p",
        "filter": { "json_path": "$.ref", "match_equals": "x" },
        "filter": { "json_path": "$.after", "match_equals": "y" }
      }
    }
  }
}`;
    const r = validateWebhook(text);
    const p = find(r, "aws_codepipeline_webhook.w.filter", "TerraformError", /^Repeated JSON object property/);
    assert.match(p.message, /write them as one JSON array of objects/);
    assert.deepEqual([p.location.line, spanOf(text, p)], [10, '"filter"']);
    // Written as one array, the two blocks are read.
    const fixed = text.replace('"filter": { "json_path": "$.ref", "match_equals": "x" },\n        "filter": {', '"filter": [{ "json_path": "$.ref", "match_equals": "x" }, {').replace('"y" }', '"y" }]');
    const ok = validateWebhook(fixed);
    assert.equal(ok.valid, true, JSON.stringify(ok.problems));
    assert.equal(readWebhooks(fixed).webhooks[0].input.webhook.filters.length, 2);
  });

  test("tfjson_member_names_like_javascripts_own_are_plain_names", () => {
    const hook = (extra) => JSON.stringify({ resource: { aws_codepipeline_webhook: { w: { name: "w", authentication: "UNAUTHENTICATED", target_action: "a", target_pipeline: "p", filter: { json_path: "$.ref", match_equals: "x" }, ...extra } } } }, null, 2);
    for (const name of ["toString", "constructor"]) {
      const r = validateWebhook(hook({ [name]: {} }));
      assert.deepEqual(said(r.problems), [["TerraformError", `aws_codepipeline_webhook.w.${name}`, `Extraneous JSON object property: No argument or block type is named "${name}".`]]);
    }
    // `__proto__` is a member JSON gives, never the prototype of what is read.
    const proto = validateWebhook(hook({}).replace('"name": "w",', '"__proto__": { "name": "from-the-prototype" },'));
    assert.ok(find(proto, "aws_codepipeline_webhook.w", "TerraformError", /The argument "name" is required/));
    assert.ok(find(proto, "aws_codepipeline_webhook.w.__proto__", "TerraformError", /Extraneous JSON object property/));
    assert.ok(!JSON.stringify(proto).includes("from-the-prototype"));
    // A resource type that is not an object of names is refused once.
    const typed = validateWebhook(JSON.stringify({ resource: { aws_codepipeline_webhook: "x" } }));
    assert.deepEqual(typed.problems.filter((p) => p.path).map((p) => p.message), ["Incorrect JSON value type: Either a JSON object or JSON array of objects is required here, to specify name labels for this block."]);
  });

  test("tfjson_detection_by_content_keeps_the_other_formats", () => {
    assert.equal(validateWebhook(fixture("terraform/show-state.json")).format, "terraform-json", "show -json has format_version");
    assert.equal(validateWebhook(fixture("cdk-github-source.template.json")).format, "cloudformation-json");
    assert.equal(readWebhooks(JSON.stringify({ data: { x: 1 } })), null, "JSON that merely has a Terraform word is no configuration");
    assert.equal(readWebhooks('resource:\n  aws_codepipeline_webhook:\n    w: {}\n'), null, "Terraform reads no YAML");
    // A parsed object: the same verdict, without locations.
    const parsed = validateWebhook(JSON.parse(fixture("terraform/broken.tf.json")));
    assert.equal(parsed.format, "terraform-json-config");
    assert.deepEqual(said(parsed.problems).sort(), said(validateWebhook(fixture("terraform/broken.tf.json")).problems).sort());
    // A stack with no webhook says so.
    const none = validateWebhook(JSON.stringify({ terraform: { required_providers: {} }, resource: { aws_s3_bucket: { b: {} } } }));
    assert.equal(none.format, "terraform-json-config");
    assert.match(none.problems[0].message, /No resource "aws_codepipeline_webhook" found/);
  });
});

// ------------------------------------------------------------------------------------------------
// PutWebhook as YAML, the definitions, and the CLI

describe("YAML input and readWebhooks", () => {
  test("put_webhook_yaml_is_checked_like_json", () => {
    const text = "webhook:\n  name: a b\n  targetPipeline: p\n  targetAction: a\n  filters: []\n  authentication: UNAUTHENTICATED\n  authenticationConfiguration: {}\n";
    const r = validateWebhook(text);
    assert.equal(r.format, "put-webhook-yaml");
    const p = find(r, "webhook.name", "ValidationException");
    assert.equal(spanOf(text, p), "a b");
  });
  test("read_webhooks_gives_the_put_webhook_inputs_and_validation_never_shows_a_literal_secret", () => {
    const text = fixture("aws-doc-github-pipeline.yaml").replace("SecretToken: !Ref GitHubSecret", "SecretToken: literal-secret-1234");
    const read = readWebhooks(text);
    assert.equal(read.format, "cloudformation-yaml");
    const [w] = read.webhooks;
    assert.equal(w.input.webhook.authenticationConfiguration.SecretToken, "literal-secret-1234");
    assert.equal(w.input.webhook.targetPipeline, "github-events-pipeline");
    assert.deepEqual(w.input.webhook.filters, [{ jsonPath: "$.ref", matchEquals: "refs/heads/{Branch}" }]);
    assert.equal(w.pipeline.stages[0].actions[0].name, "SourceAction");
    const broken = validateWebhook(text.replace("Authentication: GITHUB_HMAC", "Authentication: IP"));
    assert.equal(broken.valid, false);
    assert.ok(!JSON.stringify(broken).includes("literal-secret-1234"));
    assert.equal(readWebhooks(JSON.stringify({ webhook: {} })), null, "a PutWebhook input in JSON is no template");
  });
});

describe("pipehook validate on templates", () => {
  const dir = join(INSTALL_DIR, `cli-templates-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const run = (args) => {
    const r = spawnSync("npx", ["--no", "--", "pipehook", ...args], { cwd: INSTALL_DIR, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm (warn|notice|WARN)\b.*\n/gm, "") };
  };
  const write = (name, text) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test("cli_templates_valid_fixtures_exit_0_with_notes", () => {
    for (const name of ["aws-doc-webhook.json", "aws-doc-webhook.yaml", "aws-doc-github-pipeline.yaml", "cdk-github-source.template.json", "terraform/provider-example.tf", "terraform/show-state.json", "terraform/provider-example.tf.json", "terraform/cdktf/cdk.tf.json"]) {
      const path = join(FIXTURES, name);
      const r = run(["validate", path]);
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^valid: 1 webhook checked \(\S+\)\n/, name);
      for (const line of r.stdout.trim().split("\n").slice(1)) assert.match(line, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: note: `), name);
    }
  });

  test("cli_templates_problems_are_file_line_column_lines_exit_1", () => {
    for (const [name, text, expected] of [
      ["broken.yaml", BROKEN_CFN_YAML, /broken\.yaml:10:13: ValidationException Resources\.MainHook\.Properties\.Name: Value 'main hook'/],
      ["broken.tf", BROKEN_TF, /broken\.tf:37:21: ValidationException aws_codepipeline_webhook\.main\.name: Value 'main hook'/],
      ["broken.tf.json", fixture("terraform/broken.tf.json"), /broken\.tf\.json:55:32: InvalidWebhookFilterPatternException aws_codepipeline_webhook\.main\.filter\[0\]\.json_path: JsonPath '\$\.ref\[0'/],
      ["json-syntax.tf.json", fixture("terraform/json-syntax.tf.json"), /json-syntax\.tf\.json:47:21: TerraformError aws_codepipeline_webhook\.typed\.filter: Incorrect JSON value type/],
    ]) {
      const r = run(["validate", write(name, text)]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, expected);
      const json = run(["validate", write(name, text), "--json"]);
      assert.deepEqual(JSON.parse(json.stdout), validateWebhook(text));
    }
  });

  test("cli_templates_syntax_error_exits_2_with_the_place", () => {
    const r = run(["validate", write("bad.tf", 'resource "aws_codepipeline_webhook" "w" {\n  name = \n}\n')]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /bad\.tf:3:\d+: HCL syntax error/);
  });

  test("cli_templates_never_print_a_literal_secret", () => {
    const text = BROKEN_CFN_YAML.replace("SecretToken: !Ref Secret", "SecretToken: hunter2-literal");
    for (const args of [[], ["--json"]]) {
      const r = run(["validate", write("secret.yaml", text), ...args]);
      assert.equal(r.code, 1);
      assert.ok(!(r.stdout + r.stderr).includes("hunter2-literal"), r.stdout);
    }
  });
});
