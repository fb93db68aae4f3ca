/**
 * Names of what a stage deploys: `<app>-<stage>-<name>`, within the limit AWS sets for that kind of
 * resource. A name that does not fit is cut and ends with `--` and 8 hex digits of the SHA-256 of the
 * whole name, as operator roles are (functions/tenant/lib/operator-role.ts): stable from one deploy to
 * the next, and two long names with a common start stay apart. Our own names never hold `--`.
 */
import { createHash } from "node:crypto";

/** EventBridge rule names and EventBridge Scheduler schedule names: 1-64 characters (both API references). */
export const RULE_NAME_MAX = 64;
export const SCHEDULE_NAME_MAX = 64;

export function stageResourceName(app: string, stage: string, name: string, max: number): string {
  const full = `${app}-${stage}-${name}`;
  if (full.length <= max) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, max - 10).replace(/-+$/, "")}--${hash}`;
}
