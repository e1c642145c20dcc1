// A client for a pipehook Worker's own operations (`X-Amz-Target: Pipehook_20261201.<Operation>`):
// the delivery log and redelivery. Node only: credentials and region come from the standard AWS
// sources (environment variables, the shared credentials and config files), and requests are
// signed with SigV4 by aws4fetch. Bundled with those packages into dist/client.js at build time
// (scripts/build-wasm.sh), so the package keeps no runtime dependency.
//
// Only long-term keys are looked for: a pipehook Worker verifies the one access key it is
// configured with, so credentials that AWS STS issues (role_arn, sso_*, credential_process, the
// instance role) could never sign for it.

import { AwsClient } from "aws4fetch";
import { getProfileName, loadSharedConfigFiles } from "@smithy/core/config";

const TARGET_PREFIX = "Pipehook_20261201.";
/** The SigV4 service name a pipehook Worker verifies (it answers CodePipeline's API). */
const SERVICE = "codepipeline";

/** An error answered by the Worker: `name` is its AWS exception name (`__type`). */
export class PipehookServiceError extends Error {
  constructor(type, message, status, requestId) {
    super(message);
    this.name = type;
    this.$metadata = { httpStatusCode: status, requestId };
  }
}

/** Credentials, a region or an endpoint that could not be found: a set-up problem, not the Worker's. */
export class PipehookConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = "PipehookConfigError";
  }
}

/** The named profile of the shared files, the credentials file's members over the config file's. */
async function profileSettings(profile) {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  const name = getProfileName({ profile });
  const settings = { ...configFile[name], ...credentialsFile[name] };
  return { name, settings, found: name in configFile || name in credentialsFile };
}

/**
 * Credentials by the AWS SDK's order for the sources a pipehook Worker can verify: a profile given
 * (`profile`, else AWS_PROFILE) from the shared files; else AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN); else the shared files' `default` profile.
 */
export async function resolveCredentials({ profile } = {}) {
  const named = profile ?? process.env.AWS_PROFILE;
  const env = process.env;
  if (!named && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined, source: "environment" };
  }
  const { name, settings, found } = await profileSettings(named);
  const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey, aws_session_token: sessionToken } = settings;
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey, sessionToken, source: `profile ${name}` };
  if (found) {
    throw new PipehookConfigError(
      `profile ${name} has no aws_access_key_id and aws_secret_access_key: a pipehook Worker verifies the access key it is ` +
        "configured with, so credentials from role_arn, sso_*, credential_process or an instance role cannot sign for it",
    );
  }
  throw new PipehookConfigError(
    named
      ? `profile ${name} is in neither the shared credentials file nor the config file`
      : "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a profile of ~/.aws/credentials with AWS_PROFILE (or --profile)",
  );
}

/** The region: `region`, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's `region` in the config file. */
export async function resolveRegion({ region, profile } = {}) {
  const given = region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (given) return given;
  const { name, settings } = await profileSettings(profile ?? process.env.AWS_PROFILE);
  if (settings.region) return settings.region;
  throw new PipehookConfigError(`no region: give --region, set AWS_REGION, or set region in profile ${name} of ~/.aws/config`);
}

/** The Worker's URL: `endpoint`, else AWS_ENDPOINT_URL_CODEPIPELINE, else AWS_ENDPOINT_URL (the AWS SDKs' variables). */
export function resolveEndpoint({ endpoint } = {}) {
  const given = endpoint || process.env.AWS_ENDPOINT_URL_CODEPIPELINE || process.env.AWS_ENDPOINT_URL;
  if (!given) throw new PipehookConfigError("no endpoint: give the Worker's URL (--endpoint-url, or AWS_ENDPOINT_URL_CODEPIPELINE)");
  let url;
  try {
    url = new URL(given);
  } catch {
    throw new PipehookConfigError(`the endpoint ${JSON.stringify(given)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new PipehookConfigError(`the endpoint ${given} is not an http(s) URL`);
  return url.href;
}

/**
 * A client of one pipehook Worker. Every option may be left out and is then found as the AWS
 * CLI finds it: `endpoint`, `region`, `profile`, `credentials` (`{ accessKeyId, secretAccessKey,
 * sessionToken? }`).
 */
export class PipehookClient {
  #options;
  #ready;
  constructor(options = {}) {
    this.#options = options;
  }

  async #signer() {
    this.#ready ??= (async () => {
      const { endpoint, region, profile, credentials } = this.#options;
      const url = resolveEndpoint({ endpoint });
      const keys = credentials ?? (await resolveCredentials({ profile }));
      const aws = new AwsClient({
        accessKeyId: keys.accessKeyId,
        secretAccessKey: keys.secretAccessKey,
        sessionToken: keys.sessionToken,
        service: SERVICE,
        region: await resolveRegion({ region, profile }),
        // A redelivery starts a pipeline: never sent twice behind the caller's back.
        retries: 0,
      });
      return { aws, url: new URL("/", url) };
    })();
    return this.#ready;
  }

  /** Sends `operation` (e.g. "ListWebhookDeliveries") with `input`; its output, or a PipehookServiceError. */
  async send(operation, input = {}) {
    const { aws, url } = await this.#signer();
    const res = await aws.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET_PREFIX + operation },
      body: JSON.stringify(input),
    });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status === 200 && body && typeof body === "object") return body;
    const type = body?.__type ?? res.headers.get("x-amzn-errortype") ?? `HTTP ${res.status}`;
    const message = body?.message ?? (text.slice(0, 200) || res.statusText);
    throw new PipehookServiceError(type, message, res.status, res.headers.get("x-amzn-requestid") ?? undefined);
  }

  /** `{ webhookName, maxResults?, nextToken? }` → `{ deliveries, nextToken? }`, newest first. */
  listWebhookDeliveries(input) {
    return this.send("ListWebhookDeliveries", input);
  }

  /** Every entry of a webhook's log (at most the newest 100), newest first, or the first `limit`. */
  async listAllWebhookDeliveries({ webhookName, limit = Infinity }) {
    const all = [];
    let nextToken;
    do {
      const maxResults = Math.min(100, limit - all.length);
      const page = await this.listWebhookDeliveries({ webhookName, maxResults, nextToken });
      all.push(...page.deliveries);
      nextToken = page.nextToken;
    } while (nextToken && all.length < limit);
    return all;
  }

  /** `{ webhookName, deliveryId }` → `{ delivery }`: the entry, its traces and its body when kept. */
  getWebhookDelivery(input) {
    return this.send("GetWebhookDelivery", input);
  }

  /** `{ webhookName, deliveryId, dryRun? }` → the decision, and what it started unless a dry run. */
  redeliverWebhookDelivery(input) {
    return this.send("RedeliverWebhookDelivery", input);
  }
}
