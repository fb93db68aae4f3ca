/**
 * Loads one file per concern, in dependency order: shared defaults, the bus and the registry,
 * the functions from the catalog, the state machines from the workflow catalog, tenant access (app
 * role, operator boundary, the functions' Kubernetes access), then the rules and schedules, and the
 * alarms the workflows rely on.
 */
export async function stacks() {
  await import("./defaults.ts");
  const { deployContext } = await import("./context.ts");
  const { bus } = await import("./bus.ts");
  const { tenantTable, gitWebhookSecret } = await import("./registry.ts");
  const ctx = deployContext({ bus, tenantTable, gitWebhookSecret });
  const { deployFunctions } = await import("./functions.ts");
  const functions = deployFunctions(ctx);
  const { deployWorkflows } = await import("./workflows.ts");
  const stateMachines = deployWorkflows(ctx, functions);
  const { deployTenantAccess } = await import("./tenant-access.ts");
  const tenantAccess = deployTenantAccess(ctx, functions);
  const { deployTriggers } = await import("./triggers.ts");
  deployTriggers(bus, stateMachines, functions);
  const { deployAlarms } = await import("./alarms.ts");
  const alarms = deployAlarms();
  const { deployBackupAlarms } = await import("./backups.ts");
  deployBackupAlarms();
  return {
    bus: bus.name,
    tenantTable: tenantTable.name,
    tenantAppRole: tenantAccess.appRole,
    stateMachines: Object.fromEntries(Object.entries(stateMachines).map(([name, sm]) => [name, sm.arn])),
    alarms: Object.fromEntries(Object.entries(alarms).map(([name, alarm]) => [name, alarm.arn])),
  };
}
