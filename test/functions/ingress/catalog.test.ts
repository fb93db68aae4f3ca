import { describe, expect, it } from "vitest";
import { ingressFunctions } from "../../../functions/ingress/catalog.ts";
import { defineFunctionCatalog } from "../../../functions/shared/catalog.ts";

describe("ingress catalog", () => {
  it("lists the git webhook with exactly the permissions it uses, and the environment it reads", () => {
    const catalog = defineFunctionCatalog(ingressFunctions);
    const spec = catalog.get("ingress/git-webhook");
    expect(spec?.handler).toBe("functions/ingress/git-webhook.ts");
    expect(spec?.permissions.flatMap((p) => p.actions).sort()).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "events:PutEvents",
      "secretsmanager:GetSecretValue",
    ]);
    const deliveries = spec?.permissions.find((p) => p.actions.includes("dynamodb:PutItem"));
    expect(deliveries?.conditions).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["DELIVERY#*"] },
    });
    expect(spec?.permissions.flatMap((p) => p.resources)).not.toContain("*");
    expect(Object.keys(spec?.environment ?? {})).toEqual(
      expect.arrayContaining(["EVENT_BUS_NAME", "GIT_WEBHOOK_SECRET_ARN", "DELIVERY_TABLE"]),
    );
  });
});
