import { describe, expect, it } from "vitest";
import { operatorRoleArn } from "../../../functions/tenant/lib/operator-role.ts";
import { isValidSlug } from "../../../functions/tenant/lib/slug.ts";

const settings = (operatorRoleArnPrefix: string) => ({
  operatorRoleArnPrefix,
  operatorBoundaryArn: "arn:aws:iam::123456789012:policy/b",
  clusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/c",
});
const PREFIX = "arn:aws:iam::123456789012:role/cplane-production-tenant-";
const nameOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

describe("operator role names", () => {
  it("are the prefix, the slug and -operators when that fits", () => {
    expect(operatorRoleArn(settings(PREFIX), "acme")).toBe(`${PREFIX}acme-operators`);
  });

  it("cut a slug that does not fit in 64 characters and keep long slugs with a common start apart", () => {
    // A slug may be 40 characters (slug.ts); with this prefix 29 are left for it.
    const first = `${"a".repeat(34)}-first`;
    const second = `${"a".repeat(33)}-second`;
    const one = nameOf(operatorRoleArn(settings(PREFIX), first));
    const two = nameOf(operatorRoleArn(settings(PREFIX), second));

    expect(one.length).toBeLessThanOrEqual(64);
    expect(two.length).toBeLessThanOrEqual(64);
    expect(one).toMatch(/^cplane-production-tenant-a{19}--[0-9a-f]{8}-operators$/);
    expect(one).not.toBe(two);
    // The cut name is no slug (a slug never holds "--"): registration refuses it, so no other tenant
    // can be onboarded under a slug that names this role.
    const segment = one.slice("cplane-production-tenant-".length, -"-operators".length);
    expect(isValidSlug(segment)).toBe(false);
    // The same slug always gives the same name: a retry finds the role it made.
    expect(operatorRoleArn(settings(PREFIX), first)).toBe(operatorRoleArn(settings(PREFIX), first));
  });

  it("say which setting is wrong when the prefix leaves too little room or is not a role ARN", () => {
    const long = `arn:aws:iam::123456789012:role/${"x".repeat(45)}-`;
    expect(() => operatorRoleArn(settings(long), "acme")).toThrow(
      expect.objectContaining({
        name: "InvalidConfigurationError",
        message: expect.stringMatching(/leaves 8 characters/),
      }),
    );
    expect(() => operatorRoleArn(settings("cplane-tenant-"), "acme")).toThrow(
      expect.objectContaining({
        name: "InvalidConfigurationError",
        message: expect.stringMatching(/TENANT_OPERATOR_ROLE_ARN_PREFIX/),
      }),
    );
  });
});
