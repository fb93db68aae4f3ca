/** The tenant registry: one item per tenant with status and per-step history. */
export const tenantTable = new sst.aws.Dynamo("TenantRegistry", {
  fields: { pk: "string", sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  deletionProtection: $app.stage === "production",
});
