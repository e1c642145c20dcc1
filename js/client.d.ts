// Types of pipehook/client: a Node client of a pipehook Worker's own operations (the delivery log
// and redelivery), signed with SigV4. See README.md, "The delivery log", and worker/README.md.

import type { FilterTrace, Outcome } from "./index.js";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ClientOptions {
  /** The Worker's URL; default AWS_ENDPOINT_URL_CODEPIPELINE, then AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** Default AWS_REGION, AWS_DEFAULT_REGION, then the profile's region in ~/.aws/config. */
  region?: string;
  /** A profile of the shared credentials and config files; default AWS_PROFILE. */
  profile?: string;
  /** Default: the profile's keys (when a profile is named), else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else the `default` profile. */
  credentials?: Credentials;
}

/** What a delivery's log entry says it came to: the core's outcomes, and the Worker's own. */
export type LoggedOutcome = Outcome | "tooLarge" | "unavailable" | "error";

/** A log entry as ListWebhookDeliveries answers it (its reason cut to fit 1 KB). */
export interface WebhookDeliverySummary {
  /** The entry's own id (a time-ordered UUID); not X-GitHub-Delivery, which is `guid`. */
  deliveryId: string;
  /** Epoch seconds. */
  deliveredAt: number;
  /** X-GitHub-Delivery. */
  guid?: string;
  /** X-GitHub-Event. */
  event?: string;
  outcome: LoggedOutcome;
  /** The HTTP status the delivery was answered with. */
  status: number;
  reason: string;
  pipelineExecutionId?: string;
  /** Made by RedeliverWebhookDelivery. */
  redelivery: boolean;
}

/** A log entry in full, as GetWebhookDelivery answers it. */
export interface WebhookDelivery extends WebhookDeliverySummary {
  sourceIp?: string;
  contentType?: string;
  /** Which signature header came (its name, never its value). */
  signatureHeader?: "x-hub-signature-256" | "x-hub-signature";
  /** Every rule's trace (empty when refused before the rules ran). */
  filters: FilterTrace[];
  revision?: string;
  matchedSecret?: "current" | "previous";
  /** ISO 8601: when a rotation's previous SecretToken stops being accepted. */
  previousSecretExpires?: string;
  bodySize?: number;
  /** Of a body read whole but not kept (over 1 MB, or refused for its signature or address). */
  bodySha256?: string;
  bodyKept: boolean;
  /** The body as it arrived, when kept and UTF-8. */
  body?: string;
  /** The body as it arrived, when kept and not UTF-8. */
  bodyBase64?: string;
  /** The entry a redelivery decided again. */
  redeliveryOf?: string;
}

export interface RedeliveryResult {
  dryRun: boolean;
  outcome: Outcome;
  status: number;
  reason: string;
  filters: FilterTrace[];
  revision?: string;
  /** The new execution, when accepted (not on a dry run). */
  pipelineExecutionId?: string;
  /** The redelivery's own log entry (not on a dry run). */
  redeliveryId?: string;
}

/** An error answered by the Worker; `name` is its AWS exception name (e.g. WebhookDeliveryNotFoundException). */
export class PipehookServiceError extends Error {
  $metadata: { httpStatusCode: number; requestId?: string };
}

/** Credentials, region or endpoint not found. */
export class PipehookConfigError extends Error {}

export class PipehookClient {
  constructor(options?: ClientOptions);
  send(operation: string, input?: object): Promise<any>;
  listWebhookDeliveries(input: { webhookName: string; maxResults?: number; nextToken?: string }): Promise<{ deliveries: WebhookDeliverySummary[]; nextToken?: string }>;
  /** Every entry (at most the newest 100), newest first, or the first `limit`. */
  listAllWebhookDeliveries(input: { webhookName: string; limit?: number }): Promise<WebhookDeliverySummary[]>;
  getWebhookDelivery(input: { webhookName: string; deliveryId: string }): Promise<{ delivery: WebhookDelivery }>;
  redeliverWebhookDelivery(input: { webhookName: string; deliveryId: string; dryRun?: boolean }): Promise<RedeliveryResult>;
}

export function resolveCredentials(options?: { profile?: string }): Promise<Credentials & { source: string }>;
export function resolveRegion(options?: { region?: string; profile?: string }): Promise<string>;
/** The endpoint's URL (href). */
export function resolveEndpoint(options?: { endpoint?: string }): string;
