/**
 * Which catalog statements the calls used: each runtime (one per test file) writes the statements that
 * allowed a call into `CPLANE_IAM_USAGE_DIR` when it closes; after the suite, `unusedReport` lists every
 * catalog statement no call ever used: candidates for removal, or a sign that no test reaches that call.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DeployContext } from "../../deploy/context.ts";
import type { FunctionId, FunctionSpec } from "../../functions/shared/catalog.ts";
import { CATALOG_POLICY, DERIVED_POLICY, functionRoleName, statementSid } from "./roles.ts";

/** The id the evaluator gives a catalog statement: `<role>#catalog#Catalog<index>`. */
export const catalogStatementId = (roleName: string, index: number) =>
  `${roleName}#${CATALOG_POLICY}#${statementSid(index)}`;

/** Writes the statements used by one runtime, when `CPLANE_IAM_USAGE_DIR` asks for it. */
export function recordUsage(used: ReadonlySet<string>, dir = process.env.CPLANE_IAM_USAGE_DIR): void {
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `usage-${process.pid}-${Date.now()}.json`), JSON.stringify([...used]));
}

export interface UnusedReport {
  readonly statements: number;
  readonly used: number;
  readonly unused: readonly {
    function: string;
    index: number;
    actions: readonly string[];
    resources: readonly string[];
  }[];
  /**
   * The same for the roles services act as (state machines, rule targets, schedules), by `<role>#<Sid>`.
   * Logging and tracing are left out: Step Functions itself uses them, through no call emulated here.
   */
  readonly serviceRoles?: {
    readonly statements: number;
    readonly used: number;
    readonly unused: readonly { role: string; sid: string; actions: readonly string[] }[];
  };
}

/** A service role's statements, as the usage files name them. */
export interface ServiceStatement {
  readonly role: string;
  readonly sid: string;
  readonly actions: readonly string[];
}

const SERVICE_ONLY = new Set(["Logging", "Tracing"]);

/** Every catalog statement against the usage files of `dir`. */
export function unusedReport(
  catalog: ReadonlyMap<FunctionId, FunctionSpec>,
  ctx: Pick<DeployContext, "app" | "stage">,
  dir: string,
  services: readonly ServiceStatement[] = [],
): UnusedReport {
  const used = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.startsWith("usage-"))) {
    for (const id of JSON.parse(readFileSync(join(dir, file), "utf8")) as string[]) used.add(id);
  }
  const unused: UnusedReport["unused"][number][] = [];
  let statements = 0;
  for (const spec of catalog.values()) {
    spec.permissions.forEach((statement, index) => {
      statements++;
      if (used.has(catalogStatementId(functionRoleName(spec.id, ctx), index))) return;
      unused.push({
        function: spec.id,
        index,
        actions: statement.actions,
        resources: statement.resources.map((r) => (typeof r === "string" ? r : `{ref:${r.ref}}`)),
      });
    });
  }
  const counted = services.filter((s) => !SERVICE_ONLY.has(s.sid));
  const idle = counted
    .filter((s) => !used.has(`${s.role}#${DERIVED_POLICY}#${s.sid}`))
    .map((s) => ({ role: s.role, sid: s.sid, actions: s.actions }));
  return {
    statements,
    used: statements - unused.length,
    unused,
    ...(services.length > 0
      ? { serviceRoles: { statements: counted.length, used: counted.length - idle.length, unused: idle } }
      : {}),
  };
}
