/** The statements of every service role the local runtime creates (state machines, rule targets, schedules). */
export async function serviceStatements() {
  const { functionCatalog } = await import("../../functions/catalog.ts");
  const { workflowCatalog } = await import("../../workflows/catalog.ts");
  const { workflowRules } = await import("../../events/rules.ts");
  const { workflowSchedules } = await import("../../events/schedules.ts");
  const { serviceRoles } = await import("../../local/iam/service-roles.ts");
  const { localFunctionArn } = await import("../../local/lambda/functions.ts");
  const { localDeployContext, LOCAL_ACCOUNT, stateMachineName } = await import("../../local/runtime.ts");
  const ctx = localDeployContext("us-east-1");
  const roles = serviceRoles({
    workflows: workflowCatalog.values(),
    functionArns: Object.fromEntries(
      [...functionCatalog.keys()].map((id) => [id, localFunctionArn(id, ctx.region, LOCAL_ACCOUNT)]),
    ),
    stateMachineArn: (workflow) =>
      `arn:aws:states:${ctx.region}:${LOCAL_ACCOUNT}:stateMachine:${stateMachineName(workflow)}`,
    rules: workflowRules,
    schedules: workflowSchedules,
    ctx,
  });
  return roles.flatMap((role) =>
    role.policy.Statement.map((s: { Sid: string; Action: string[] }) => ({
      role: role.name,
      sid: s.Sid,
      actions: s.Action,
    })),
  );
}
