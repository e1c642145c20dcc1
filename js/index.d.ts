// Types of the pipehook package. Shapes and member names are those of the AWS
// CodePipeline service model (note the PascalCase SecretToken and AllowedIPRange).

export type WebhookAuthenticationType = "GITHUB_HMAC" | "IP" | "UNAUTHENTICATED";

export interface WebhookAuthConfiguration {
  AllowedIPRange?: string;
  SecretToken?: string;
}

export interface WebhookFilterRule {
  jsonPath: string;
  matchEquals?: string;
}

export interface WebhookDefinition {
  name: string;
  targetPipeline: string;
  targetAction: string;
  filters: WebhookFilterRule[];
  authentication: WebhookAuthenticationType;
  authenticationConfiguration: WebhookAuthConfiguration;
}

export interface Tag {
  key: string;
  value: string;
}

export interface PutWebhookInput {
  webhook: WebhookDefinition;
  tags?: Tag[];
}

export interface ListWebhookItem {
  definition: WebhookDefinition;
  url: string;
  errorMessage?: string;
  errorCode?: string;
  /** Epoch seconds. */
  lastTriggered?: number;
  arn?: string;
  tags?: Tag[];
}

export interface ActionDeclaration {
  name: string;
  actionTypeId?: { category: string; owner: string; provider: string; version: string };
  configuration?: Record<string, string>;
  [member: string]: unknown;
}

export interface StageDeclaration {
  name: string;
  actions: ActionDeclaration[];
  [member: string]: unknown;
}

export interface PipelineDeclaration {
  name: string;
  stages: StageDeclaration[];
  version?: number;
  [member: string]: unknown;
}

/** The AWS exception a problem maps to. */
export type ProblemType =
  | "SerializationException"
  | "ValidationException"
  | "InvalidWebhookFilterPatternException"
  | "InvalidWebhookAuthenticationParametersException"
  | "TooManyTagsException"
  | "InvalidTagsException"
  | "PipelineNotFoundException"
  | "LimitExceededException";

export interface Problem {
  /**
   * The AWS exception; for a template, also what CloudFormation (`ValidationError`) or Terraform
   * (`TerraformError`) refuses before AWS is called.
   */
  type: ProblemType | "ValidationError" | "TerraformError";
  message: string;
  /**
   * Where, in AWS's member path form for a PutWebhook input (`webhook.filters[0].jsonPath`,
   * `tags[3].key`), or the place in a template: `Resources.MainHook.Properties.Filters[0].JsonPath`,
   * `aws_codepipeline_webhook.main.filter[0].json_path`.
   */
  path: string;
  /**
   * For a problem inside the string value at `path` (a JSONPath that does not compile): the 1-based
   * column there, in characters, where the problem is. Absent otherwise.
   */
  column?: number;
  /** Where the problem is in the text given (only when the input was text). */
  location?: SourceLocation;
  /** For a template: the PutWebhook member the core checked (`webhook.filters[0].jsonPath`). */
  memberPath?: string;
  /** For a template: the resource (logical ID or Terraform address) the problem belongs to. */
  resource?: string;
}

/** A span of the text given: 1-based lines and columns, and UTF-16 offsets (end exclusive). */
export interface SourceLocation {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  offset: number;
  endOffset: number;
}

/** A value that was not checked, and why (most often: it is resolved at deploy time). */
export interface Note {
  path: string;
  message: string;
  location?: SourceLocation;
}

/** What a text was read as, when it is not a PutWebhook input in JSON. */
export type InputFormat =
  | "cloudformation-json"
  | "cloudformation-yaml"
  | "cloudformation"
  | "terraform-hcl"
  | "terraform-json"
  | "terraform-json-config"
  | "put-webhook-yaml"
  | "yaml";

export interface ValidationResult {
  valid: boolean;
  problems: Problem[];
  /** Set when the input was a template or YAML (absent for a PutWebhook input in JSON or as an object). */
  format?: InputFormat;
  /** Values not checked (intrinsic functions, Terraform references and interpolations). */
  notes?: Note[];
  /** For a template: each webhook resource found and checked. */
  webhooks?: { resource: string; path: string; location?: SourceLocation }[];
}

export interface ValidateOptions {
  /** A PipelineDeclaration, or `aws codepipeline get-pipeline` output: turns on the pipeline checks. */
  pipeline?: PipelineDeclaration | { pipeline: PipelineDeclaration };
}

/**
 * Checks a PutWebhook input (or its JSON or YAML text, or a bare WebhookDefinition), or a template
 * that declares webhooks: CloudFormation (JSON or YAML, `AWS::CodePipeline::Webhook`) or
 * Terraform (HCL or `terraform show -json`, `aws_codepipeline_webhook`), recognised by content.
 * Reports every problem at once; problems in text carry their `location`.
 */
export function validateWebhook(
  input: PutWebhookInput | WebhookDefinition | string | object,
  options?: ValidateOptions,
): ValidationResult;

/**
 * The webhooks a template declares, as the PutWebhook inputs they become (null for anything that
 * is not a template or YAML). They hold the file's SecretTokens: do not log them. Values known
 * only at deploy time stand in as placeholders; `deployTime` lists their paths.
 */
export function readWebhooks(input: string | object): {
  format: InputFormat;
  webhooks: { resource: string; path: string; input: PutWebhookInput; deployTime: string[]; pipeline?: PipelineDeclaration }[];
} | null;

export interface Delivery {
  /** Header names are case-insensitive. */
  headers: Record<string, string> | Iterable<[string, string]>;
  /** The raw body; signatures are over these exact bytes. */
  body: string | Uint8Array;
  /** The caller's address, for IP authentication. */
  sourceIp?: string;
}

export interface EvaluateOptions {
  /** The target action's configuration: fills `{Key}` placeholders in matchEquals. */
  actionConfiguration?: Record<string, string>;
  /**
   * A GITHUB_HMAC webhook's SecretToken before its last change, for a rotation without
   * downtime: a delivery signed with it is still authenticated, and its decision says so
   * (`matchedSecret: "previous"`). pipehook keeps no clock: pass it only while your grace
   * period lasts. It is tried only when the current secret fails; other webhooks ignore it.
   */
  previousSecretToken?: string;
}

export type Outcome = "accepted" | "unauthorized" | "forbidden" | "filtered" | "malformed";

export interface FilterTrace {
  jsonPath: string;
  /**
   * matchEquals after `{Key}` substitution; absent for a rule without matchEquals. Longer than
   * 2 KB of JSON, it is cut like a selected value.
   */
  expected?: string;
  /**
   * What the path selected: at most one value for a definite path; the first 100 values at most,
   * in at most 16 KB of JSON in all. A value longer than 2 KB of JSON is shown as a string: its
   * first characters (any other value's compact JSON) and a marker, `…[cut: 1048576 bytes]`
   * (a string's length) or `…[cut: over 2048 bytes]`. Values past the 16 KB are left out.
   * A selected object's `SecretToken` members, at any depth, are shown as `****` here and in the
   * reason (the rule itself compares the payload's values).
   */
  selected: unknown[];
  /** How many values the path selected in all (more than `selected.length` when the trace was cut). */
  selectedCount: number;
  passed: boolean;
}

export interface Decision {
  outcome: Outcome;
  /**
   * The HTTP status a receiver should answer: 200, 401, 403, 400 (or 413 for a body over 25 MB,
   * or one of more than 1,000,000 JSON values under a rule with an indefinite path).
   */
  status: number;
  /** One line saying why. */
  reason: string;
  filters: FilterTrace[];
  /**
   * The source revision the payload names (e.g. a push's `after`), when accepted; one longer
   * than 2 KB of JSON is cut and marked like a selected value.
   */
  revision?: string;
  /**
   * Which SecretToken the signature verified with, for GITHUB_HMAC webhooks once authenticated:
   * `"previous"` when it was {@link EvaluateOptions.previousSecretToken} (the reason says so too).
   */
  matchedSecret?: "current" | "previous";
}

/**
 * Decides a delivery against a webhook: authentication, body parsing, filters.
 * Throws a {@link PipehookError} when the definition itself is invalid.
 */
export function evaluateDelivery(
  webhook: WebhookDefinition | PutWebhookInput | ListWebhookItem | CompiledWebhook,
  delivery: Delivery,
  options?: EvaluateOptions,
): Decision;

/**
 * A definition validated and compiled once, for deciding many deliveries without
 * re-reading the definition each time (what a receiver keeps per webhook).
 */
export interface CompiledWebhook {
  readonly authentication: WebhookAuthenticationType;
  /** The same decision as `evaluateDelivery(definition, delivery, options)`. */
  evaluateDelivery(delivery: Delivery, options?: EvaluateOptions): Decision;
  /** Releases its wasm memory now (otherwise at garbage collection); later calls throw. */
  free(): void;
}

/**
 * Validates and compiles a definition once. Throws a {@link PipehookError} when it is invalid.
 * `evaluateDelivery(definition, …)` caches compiled definitions too, but checks on every call
 * that the definition is unchanged (a comparison with its snapshot for the same object, a
 * serialisation otherwise); a CompiledWebhook skips that.
 */
export function compileWebhook(webhook: WebhookDefinition | PutWebhookInput | ListWebhookItem): CompiledWebhook;

/** A deep copy with every SecretToken replaced by `****`. */
export function redactWebhook<T>(item: T): T;

export class PipehookError extends Error {
  name: "PipehookError";
  problems: Problem[];
}

// Structural stand-ins for DOM types, so a project without the DOM lib (plain Node) compiles;
// with the DOM lib or @types/node loaded, these are the real types.
type Global = typeof globalThis;
type WasmModule = Global extends { WebAssembly: { Module: abstract new (...args: any) => infer M } } ? M : object;
type Bytes = ArrayBuffer | ArrayBufferView;
/** A URL (string or URL), a fetch Response or Request, the wasm bytes, or a compiled module. */
export type InitInput = string | { readonly href: string } | { arrayBuffer(): Promise<ArrayBuffer> } | Bytes | WasmModule;

/**
 * Loads the wasm (browsers, Deno, Workers). With no argument, the .wasm beside the module:
 * `pipehook_bg.wasm`, or `pipehook_nosimd_bg.wasm` where the engine lacks wasm SIMD (see
 * {@link wasmSimd}). A no-op in Node, where importing is enough.
 */
export default function init(input?: InitInput | Promise<InitInput>): Promise<void>;
export function init(input?: InitInput | Promise<InitInput>): Promise<void>;
/** True where the engine runs wasm SIMD (every current one; not Safari before 16.4), so the SIMD build is loaded. */
export const wasmSimd: boolean;
/** Synchronous initialisation from a compiled module or bytes (Cloudflare Workers: import the .wasm). */
export function initSync(module: { module: Bytes | WasmModule } | Bytes | WasmModule): void;
