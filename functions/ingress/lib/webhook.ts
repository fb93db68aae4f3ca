/**
 * The Git push webhook's logic, independent of Lambda: authenticate the delivery (GitHub HMAC or
 * GitLab token), parse and normalize a push, publish one `Git Push` event per delivery id.
 * Everything it talks to is injected. Requests are Lambda function URL events (payload v2), which
 * the local server builds too.
 */
import { createHash } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { z } from "zod";
import type { DeliveryStore } from "./deliveries.ts";
import {
  GitHubPush,
  GitLabPush,
  type GitPushDetail,
  normalizeGitHubPush,
  normalizeGitLabPush,
} from "./payloads.ts";
import type { WebhookSecrets } from "./secret.ts";
import { verifyGitHubSignature, verifyGitLabToken } from "./signatures.ts";

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface WebhookDeps {
  readonly secrets: () => Promise<WebhookSecrets>;
  readonly deliveries: DeliveryStore;
  /** Publishes the `Git Push` event; returns its id. */
  readonly publish: (detail: GitPushDetail) => Promise<string>;
}

export type WebhookResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

function reply(statusCode: number, body: Record<string, unknown>): WebhookResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

const refuse = (statusCode: number, error: string, message: string) => reply(statusCode, { error, message });

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  const value = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return value === undefined || value === "" ? undefined : value;
}

/** The JSON document of a delivery: a JSON body, or GitHub's form encoding (`payload=...`). */
function payloadText(event: APIGatewayProxyEventV2, raw: Buffer): string {
  const type = header(event, "content-type") ?? "application/json";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return new URLSearchParams(raw.toString("utf8")).get("payload") ?? "";
  }
  return raw.toString("utf8");
}

function parsePayload<S extends z.ZodType>(
  schema: S,
  text: string,
): { ok: true; value: z.infer<S> } | { ok: false; result: WebhookResult } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, result: refuse(400, "MalformedPayload", "the body is not JSON") };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    return { ok: false, result: refuse(400, "MalformedPayload", `not a push payload: ${issues.join("; ")}`) };
  }
  return { ok: true, value: parsed.data };
}

export async function handleGitWebhook(
  event: APIGatewayProxyEventV2,
  deps: WebhookDeps,
): Promise<WebhookResult> {
  const method = event.requestContext?.http?.method ?? "POST";
  if (method !== "POST") return refuse(405, "MethodNotAllowed", "deliveries are POSTed");
  const body = event.body ?? "";
  const raw = Buffer.from(body, event.isBase64Encoded ? "base64" : "utf8");
  if (raw.length > MAX_WEBHOOK_BYTES) {
    return refuse(
      413,
      "PayloadTooLarge",
      `the body is ${raw.length} bytes; at most ${MAX_WEBHOOK_BYTES} are accepted`,
    );
  }
  const githubEvent = header(event, "x-github-event");
  const gitlabEvent = header(event, "x-gitlab-event");
  if (!githubEvent && !gitlabEvent) {
    return refuse(400, "UnknownProvider", "neither X-GitHub-Event nor X-Gitlab-Event is set");
  }
  const secrets = await deps.secrets();

  let detail: GitPushDetail;
  if (githubEvent) {
    const signature = header(event, "x-hub-signature-256");
    if (!signature) return refuse(401, "MissingSignature", "X-Hub-Signature-256 is required");
    if (!secrets.github || !verifyGitHubSignature(secrets.github, raw, signature)) {
      return refuse(401, "InvalidSignature", "X-Hub-Signature-256 does not match the body");
    }
    if (githubEvent === "ping") return reply(200, { ok: true, event: "ping" });
    if (githubEvent !== "push") return reply(202, { ignored: true, event: githubEvent });
    const parsed = parsePayload(GitHubPush, payloadText(event, raw));
    if (!parsed.ok) return parsed.result;
    const deliveryId = header(event, "x-github-delivery") ?? bodyId(raw);
    detail = normalizeGitHubPush(parsed.value, deliveryId);
  } else {
    const token = header(event, "x-gitlab-token");
    if (!token) return refuse(401, "MissingToken", "X-Gitlab-Token is required");
    if (!secrets.gitlab || !verifyGitLabToken(secrets.gitlab, token)) {
      return refuse(401, "InvalidToken", "X-Gitlab-Token does not match");
    }
    if (gitlabEvent !== "Push Hook") return reply(202, { ignored: true, event: gitlabEvent });
    const parsed = parsePayload(GitLabPush, raw.toString("utf8"));
    if (!parsed.ok) return parsed.result;
    const deliveryId =
      header(event, "x-gitlab-event-uuid") ?? header(event, "idempotency-key") ?? bodyId(raw);
    detail = normalizeGitLabPush(parsed.value, deliveryId);
  }

  if ((await deps.deliveries.begin(detail.deliveryId)) === "duplicate") {
    return reply(200, { duplicate: true, deliveryId: detail.deliveryId });
  }
  let eventId: string;
  try {
    eventId = await deps.publish(detail);
  } catch (error) {
    await deps.deliveries.abort(detail.deliveryId);
    throw error;
  }
  await deps.deliveries.complete(detail.deliveryId);
  return reply(202, { eventId, deliveryId: detail.deliveryId });
}

/** A delivery without an id header is identified by its body. */
function bodyId(raw: Buffer): string {
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}
