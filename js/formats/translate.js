// What CloudFormation and Terraform share once a resource is read: the PutWebhook input the
// resource becomes (what the core checks, exactly as the API would get it), values known only at
// deploy time, and mapping the core's member paths back to the place in the user's file.

/** A value resolved at deploy time (an intrinsic function, a Terraform reference or interpolation). */
export const UNKNOWN = Symbol("resolved at deploy time");

// Stand-ins the core accepts for values it cannot see, so that everything else is still checked.
// They never reach the user: problems about them are the deploy-time notes instead.
const STAND_IN = {
  name: "deploy-time-value",
  targetPipeline: "deploy-time-value",
  targetAction: "deploy-time-value",
  SecretToken: "deploy-time-value",
  AllowedIPRange: "0.0.0.0/0",
  jsonPath: "$",
};

/**
 * The PutWebhook input for a webhook's fields. Each field is a value, `undefined` when absent, or
 * {@link UNKNOWN}; `filters` is a list of `{ jsonPath, matchEquals }` (or UNKNOWN), `tags` a list
 * of `{ key, value }`.
 */
export function putWebhookInput(f) {
  const known = (v) => v !== UNKNOWN;
  const pick = (v, standIn) => (v === UNKNOWN ? standIn : v);
  let authentication = f.authentication;
  if (authentication === UNKNOWN) {
    // The type decides which configuration fits: take the one the configuration implies.
    authentication = f.SecretToken !== undefined ? "GITHUB_HMAC" : f.AllowedIPRange !== undefined ? "IP" : "UNAUTHENTICATED";
  }
  const configuration = {};
  if (f.SecretToken !== undefined) configuration.SecretToken = pick(f.SecretToken, STAND_IN.SecretToken);
  if (f.AllowedIPRange !== undefined) configuration.AllowedIPRange = pick(f.AllowedIPRange, STAND_IN.AllowedIPRange);
  const webhook = {
    name: pick(f.name, STAND_IN.name),
    targetPipeline: pick(f.targetPipeline, STAND_IN.targetPipeline),
    targetAction: pick(f.targetAction, STAND_IN.targetAction),
    filters:
      f.filters === UNKNOWN
        ? []
        : f.filters?.map((rule) => {
            const out = rule === UNKNOWN ? { jsonPath: STAND_IN.jsonPath } : { jsonPath: pick(rule.jsonPath, STAND_IN.jsonPath) };
            if (rule !== UNKNOWN && rule.matchEquals !== undefined && known(rule.matchEquals)) out.matchEquals = rule.matchEquals;
            return out;
          }),
    authentication,
    authenticationConfiguration: f.authenticationConfiguration === UNKNOWN ? standInConfiguration(authentication) : f.hasConfiguration === false ? undefined : configuration,
  };
  for (const k of Object.keys(webhook)) if (webhook[k] === undefined) delete webhook[k];
  const input = { webhook };
  if (f.tags?.length) input.tags = f.tags;
  return input;
}

function standInConfiguration(authentication) {
  if (authentication === "GITHUB_HMAC") return { SecretToken: STAND_IN.SecretToken };
  if (authentication === "IP") return { AllowedIPRange: STAND_IN.AllowedIPRange };
  return {};
}

/**
 * A function from the core's member paths (`webhook.filters[0].jsonPath`, `tags[1].key`) to
 * paths in the user's file: `root` replaces `webhook`, `names` renames each member, and
 * `tagPath` (optional) names the place of the tag at an index (Terraform's tags are a map; a
 * problem with a tag's key is then `{ path, onName: true }`).
 */
export function pathMapper(root, names, tagPath) {
  return (corePath) => {
    const tag = /^tags\[(\d+)\](?:\.(key|value))?$/.exec(corePath);
    if (tag && tagPath) return { path: tagPath(Number(tag[1])), onName: tag[2] === "key" };
    if (!corePath.startsWith("webhook")) return root;
    return root + corePath.slice("webhook".length).replace(/\.([A-Za-z]+)/g, (m, name) => (names[name] === undefined ? m : `.${names[name]}`));
  };
}

/** `Fn::Sub "…"`, `Ref X`: a short description of a deploy-time value for a note. */
export function describe(sourceText, fallback) {
  const text = (sourceText ?? fallback ?? "").replace(/\s+/g, " ").trim();
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export const DEPLOY_TIME = "not checked: resolved at deploy time";

/** What reading one resource shares between the formats: where its problems and notes go. */
export class ResourceReader {
  constructor(r, source, problems, notes) {
    this.r = r;
    this.source = source;
    this.problems = problems;
    this.notes = notes;
  }

  /** A problem the file's own tool (CloudFormation, Terraform) finds before AWS is called. */
  problem(type, path, message, onName = false) {
    const resource = this.r.id || this.r.address;
    this.problems.push(resource ? { type, path, message, resource, onName } : { type, path, message, onName });
  }

  /** Notes a value known only at deploy time (`shown`: how the file writes it; never for a secret). */
  deployTime(path, shown, secret = false) {
    this.notes.push({ path, message: secret ? DEPLOY_TIME : `${DEPLOY_TIME} (${describe(shown)})` });
    return UNKNOWN;
  }

  /** Withdraws the note on `path`: the file itself says what the reference there is. */
  resolved(path) {
    const note = this.notes.findIndex((n) => n.path === path);
    if (note >= 0) this.notes.splice(note, 1);
  }
}
