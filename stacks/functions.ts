/** One Lambda function per catalog entry, with the role the entry's IAM statements describe. */

import { type DeployContext, renderEnvironment } from "../deploy/context.ts";
import { functionCatalog } from "../functions/catalog.ts";
import { componentName, functionPermissions } from "./wiring.ts";

export function deployFunctions(ctx: $util.Output<DeployContext>): Record<string, sst.aws.Function> {
  const deployed: Record<string, sst.aws.Function> = {};
  for (const spec of functionCatalog.values()) {
    deployed[spec.id] = new sst.aws.Function(componentName(spec.id), {
      handler: spec.handler.replace(/\.ts$/, ".handler"),
      description: spec.description,
      timeout: `${spec.timeoutSeconds} seconds`,
      memory: `${spec.memoryMB} MB`,
      environment: ctx.apply((c) => renderEnvironment(spec, c)),
      permissions: ctx.apply((c) => functionPermissions(spec, c)),
      url: spec.url ? { authorization: "none" } : undefined,
    });
  }
  return deployed;
}
