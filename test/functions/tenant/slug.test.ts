import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidSlugError, ReservedSlugError } from "../../../functions/tenant/lib/errors.ts";
import {
  deriveSlug,
  isReservedSlug,
  isValidSlug,
  MAX_SLUG_LENGTH,
  resolveSlug,
  tenantNames,
} from "../../../functions/tenant/lib/slug.ts";

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RDS_IDENTIFIER = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*$/;

/** Derives, or says why not: only an InvalidSlugError is an acceptable refusal. */
function tryDerive(name: string): string | undefined {
  try {
    return deriveSlug(name);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSlugError);
    return undefined;
  }
}

describe("deriveSlug", () => {
  it("turns display names into lowercase hyphenated slugs", () => {
    expect(deriveSlug("Acme Corp")).toBe("acme-corp");
    expect(deriveSlug("Café Müller GmbH")).toBe("cafe-muller-gmbh");
    expect(deriveSlug("  --Hello__World!!  ")).toBe("hello-world");
    expect(deriveSlug("42 Analytics")).toBe("analytics");
  });

  it("refuses names with no latin letter", () => {
    expect(() => deriveSlug("株式会社")).toThrow(InvalidSlugError);
    expect(() => deriveSlug("1234")).toThrow(InvalidSlugError);
  });

  it("always yields a valid Kubernetes namespace, RDS identifier and DNS label, or refuses", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (name) => {
        const slug = tryDerive(name);
        if (slug === undefined) return;
        expect(slug.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
        expect(slug).toMatch(RFC1123_LABEL);
        expect(isValidSlug(slug)).toBe(true);
        const names = tenantNames(slug);
        for (const identifier of [names.clusterIdentifier, names.writerIdentifier, names.readerIdentifier]) {
          expect(identifier).toMatch(RDS_IDENTIFIER);
          expect(identifier.length).toBeLessThanOrEqual(63);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("leaves a valid slug unchanged (derivation is idempotent)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (name) => {
        const slug = tryDerive(name);
        if (slug !== undefined) expect(deriveSlug(slug)).toBe(slug);
      }),
      { numRuns: 500 },
    );
  });
});

describe("isValidSlug", () => {
  it("accepts exactly lowercase letters, digits and single inner hyphens starting with a letter", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (candidate) => {
        const expected =
          candidate.length <= MAX_SLUG_LENGTH &&
          RFC1123_LABEL.test(candidate) &&
          /^[a-z]/.test(candidate) &&
          !candidate.includes("--");
        expect(isValidSlug(candidate)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
    expect(isValidSlug("a")).toBe(true);
    expect(isValidSlug("a--b")).toBe(false);
    expect(isValidSlug("a-")).toBe(false);
    expect(isValidSlug("x".repeat(MAX_SLUG_LENGTH + 1))).toBe(false);
  });
});

describe("resolveSlug", () => {
  it("uses a given valid slug as is", () => {
    expect(resolveSlug("Anything", "acme-eu")).toBe("acme-eu");
  });

  it("refuses an invalid given slug with InvalidSlugError naming the field", () => {
    expect(() => resolveSlug("Acme", "Acme_EU")).toThrow(InvalidSlugError);
    expect(() => resolveSlug("Acme", "Acme_EU")).toThrow(/slug: /);
  });

  it("refuses reserved slugs, given or derived, with ReservedSlugError", () => {
    expect(() => resolveSlug("Admin")).toThrow(ReservedSlugError);
    expect(() => resolveSlug("Acme", "kube-system")).toThrow(ReservedSlugError);
    expect(isReservedSlug("cplane-internal")).toBe(true);
    expect(isReservedSlug("acme")).toBe(false);
  });
});
