import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createMemoryDeliveryStore } from "../../../functions/ingress/lib/deliveries.ts";
import { cachedWebhookSecrets, parseWebhookSecret } from "../../../functions/ingress/lib/secret.ts";
import {
  signGitHubBody,
  verifyGitHubSignature,
  verifyGitLabToken,
} from "../../../functions/ingress/lib/signatures.ts";

describe("signatures", () => {
  it("verifies GitHub's published example signature", () => {
    // From GitHub's documentation on validating webhook deliveries.
    const body = Buffer.from("Hello, World!");
    const header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(verifyGitHubSignature("It's a Secret to Everybody", body, header)).toBe(true);
    expect(signGitHubBody("It's a Secret to Everybody", body)).toBe(header);
    expect(verifyGitHubSignature("another secret", body, header)).toBe(false);
    expect(verifyGitHubSignature("It's a Secret to Everybody", body, "sha256=00")).toBe(false);
  });

  it("compares GitLab tokens of any length", () => {
    expect(verifyGitLabToken("token", "token")).toBe(true);
    expect(verifyGitLabToken("token", "token-but-longer")).toBe(false);
    expect(verifyGitLabToken("token", "")).toBe(false);
  });
});

describe("delivery store", () => {
  it("claims an id once, releases it on abort, and forgets the oldest beyond its capacity", async () => {
    const store = createMemoryDeliveryStore(2);
    expect(await store.begin("a")).toBe("new");
    expect(await store.begin("a")).toBe("duplicate");
    await store.abort("a");
    expect(await store.begin("a")).toBe("new");
    await store.complete("a");
    await store.abort("a");
    expect(await store.begin("a")).toBe("duplicate");
    await store.begin("b");
    await store.begin("c");
    expect(await store.begin("a")).toBe("new");
    expect(() => createMemoryDeliveryStore(0)).toThrow(RangeError);
  });
});

describe("webhook secret", () => {
  const secretsManager = mockClient(SecretsManagerClient);
  beforeEach(() => secretsManager.reset());

  it("reads a plain or JSON secret", () => {
    expect(parseWebhookSecret("s3cret")).toEqual({ github: "s3cret", gitlab: "s3cret" });
    expect(parseWebhookSecret('{"github":"g"}')).toEqual({ github: "g", gitlab: undefined });
    expect(() => parseWebhookSecret("{oops")).toThrow(
      expect.objectContaining({ name: "WebhookSecretError" }),
    );
    expect(() => parseWebhookSecret(" ")).toThrow("empty");
  });

  it("fetches the secret once per TTL", async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: "s3cret" });
    let now = 0;
    const load = cachedWebhookSecrets(new SecretsManagerClient({ region: "us-east-1" }), () => "arn:secret", {
      ttlMs: 1000,
      now: () => now,
    });
    await load();
    await load();
    now = 1500;
    await load();
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: "arn:secret" },
      { SecretId: "arn:secret" },
    ]);
  });

  it("names a secret without a string value", async () => {
    secretsManager.on(GetSecretValueCommand).resolves({});
    const load = cachedWebhookSecrets(new SecretsManagerClient({ region: "us-east-1" }), () => "arn:secret");
    await expect(load()).rejects.toMatchObject({ name: "WebhookSecretError" });
  });
});
