/**
 * The webhook secrets, read from Secrets Manager and cached. The secret is either a plain string
 * (one secret for both providers) or JSON `{"github": "...", "gitlab": "..."}`.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ControlPlaneError } from "../../shared/errors.ts";

export interface WebhookSecrets {
  readonly github: string | undefined;
  readonly gitlab: string | undefined;
}

export class WebhookSecretError extends ControlPlaneError {}

export function parseWebhookSecret(text: string): WebhookSecrets {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new WebhookSecretError("the webhook secret looks like JSON but does not parse", { cause: error });
    }
    const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const pick = (key: string) =>
      typeof record[key] === "string" && record[key] !== "" ? (record[key] as string) : undefined;
    return { github: pick("github"), gitlab: pick("gitlab") };
  }
  if (trimmed === "") throw new WebhookSecretError("the webhook secret is empty");
  return { github: trimmed, gitlab: trimmed };
}

/** Returns a loader that fetches the secret once per `ttlMs` (default 5 minutes). */
export function cachedWebhookSecrets(
  client: SecretsManagerClient,
  secretId: () => string,
  options: { ttlMs?: number; now?: () => number } = {},
): () => Promise<WebhookSecrets> {
  const ttl = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let cached: { value: WebhookSecrets; at: number } | undefined;
  return async () => {
    if (cached && now() - cached.at < ttl) return cached.value;
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId() }));
    if (output.SecretString === undefined)
      throw new WebhookSecretError("the webhook secret has no SecretString");
    cached = { value: parseWebhookSecret(output.SecretString), at: now() };
    return cached.value;
  };
}
