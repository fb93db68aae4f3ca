/** Webhook authentication: GitHub's HMAC-SHA256 signature and GitLab's shared token, compared in constant time. */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Checks `X-Hub-Signature-256: sha256=<hex>` against the HMAC-SHA256 of the raw body. */
export function verifyGitHubSignature(secret: string, rawBody: Buffer, header: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], "hex"));
}

/** Checks `X-Gitlab-Token`; both sides are hashed first so that the comparison time never depends on the token. */
export function verifyGitLabToken(secret: string, header: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(secret), digest(header));
}

/** What GitHub puts in `X-Hub-Signature-256` for a body (tests, the local CLI). */
export function signGitHubBody(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}
