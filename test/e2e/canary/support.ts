/**
 * What the canary end-to-end tests share: a runtime with the demo fleet (services `web` and `api` in
 * namespace `shop`, with traffic) on an instant clock, and readers of what a canary changed: the
 * VirtualService's routes, the Deployments, the events, the states an execution entered.
 */
import { createClock } from "../../../local/clock/clock.ts";
import type { KObject } from "../../../local/cloud/kubernetes.ts";
import type { VersionBehaviour } from "../../../local/cloud/traffic.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../../local/runtime.ts";

export const NAMESPACE = "shop";

export async function canaryRuntime(durations?: RuntimeOptions["durations"]): Promise<Runtime> {
  return createRuntime({
    clock: createClock({ mode: { kind: "instant" } }),
    demoFleet: true,
    ...(durations ? { durations } : {}),
  });
}

export function kube(runtime: Runtime) {
  const api = runtime.cloud.eks.kubernetes(`cplane-${runtime.region}`, runtime.region);
  if (!api) throw new Error("no demo cluster");
  return api;
}

/** The routes of the service's VirtualService: subset → weight (the first http route without a match). */
export function weights(runtime: Runtime, service: string): Record<string, number> {
  const vs = kube(runtime).get("VirtualService", NAMESPACE, service) as KObject | undefined;
  const http = (
    vs?.spec as {
      http?: { match?: unknown; route?: { destination: { subset: string }; weight?: number }[] }[];
    }
  )?.http;
  const primary = http?.find((h) => h.match === undefined);
  return Object.fromEntries((primary?.route ?? []).map((r) => [r.destination.subset, r.weight ?? 0]));
}

export function deployment(runtime: Runtime, name: string): KObject | undefined {
  return kube(runtime).get("Deployment", NAMESPACE, name) as KObject | undefined;
}

export function imageOf(object: KObject | undefined): string | undefined {
  const containers = (object?.spec as { template?: { spec?: { containers?: { image?: string }[] } } })
    ?.template?.spec?.containers;
  return containers?.[0]?.image;
}

/** Makes a version (an image tag) behave as given, in every region the service runs in. */
export function behave(
  runtime: Runtime,
  service: string,
  version: string,
  behaviour: Partial<VersionBehaviour>,
) {
  for (const region of [runtime.region, runtime.secondaryRegion])
    runtime.cloud.traffic.setBehaviour({ region, namespace: NAMESPACE, service }, version, behaviour);
}

export function start(runtime: Runtime, input: unknown, name?: string): string {
  return runtime.engine.startExecution({
    stateMachineArn: runtime.stateMachineArn("canary-promotion"),
    input: JSON.stringify(input),
    ...(name ? { name } : {}),
  }).executionArn;
}

/** The whole history (the API answers a page of at most 1,000 events at a time). */
export function history(runtime: Runtime, executionArn: string) {
  const all = [];
  let nextToken: string | undefined;
  do {
    const page = runtime.engine.getExecutionHistory(executionArn, {
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    all.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

export function entered(runtime: Runtime, executionArn: string): { name: string; at: number }[] {
  return history(runtime, executionArn)
    .filter((e) => e.type.endsWith("StateEntered"))
    .map((e) => ({ name: (e.stateEnteredEventDetails as { name: string }).name, at: e.timestamp.getTime() }));
}

export function events(
  runtime: Runtime,
  detailType: string,
): { detail: Record<string, unknown>; time: string }[] {
  return runtime.bus.eventLog
    .all()
    .filter((e) => e.event["detail-type"] === detailType)
    .map((e) => ({ detail: e.event.detail as Record<string, unknown>, time: e.event.time as string }));
}

export async function output(runtime: Runtime, executionArn: string) {
  const done = await runtime.engine.waitForExecution(executionArn);
  return { ...done, result: done.output ? (JSON.parse(done.output) as Record<string, unknown>) : undefined };
}

/** The results of a state's Lambda task, in order (the `Payload` of each success). */
export function results(runtime: Runtime, executionArn: string, state: string): Record<string, unknown>[] {
  let current = "";
  const out: Record<string, unknown>[] = [];
  for (const e of history(runtime, executionArn)) {
    if (e.type.endsWith("StateEntered")) current = (e.stateEnteredEventDetails as { name: string }).name;
    if (e.type === "TaskSucceeded" && current === state) {
      const raw = (e.taskSucceededEventDetails as { output: unknown }).output;
      const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as {
        Payload?: Record<string, unknown>;
      };
      out.push(parsed.Payload ?? (parsed as Record<string, unknown>));
    }
  }
  return out;
}

/**
 * Runs `act` when the first event of `detailType` matching `when` is logged (before time moves on), or
 * on every such event with `every`.
 */
export function onEvent(
  runtime: Runtime,
  detailType: string,
  when: (detail: Record<string, unknown>) => boolean,
  act: (detail: Record<string, unknown>) => void,
  every = false,
): () => void {
  let done = false;
  const stop = runtime.bus.onLog((logged) => {
    if (done || logged.event["detail-type"] !== detailType) return;
    const detail = logged.event.detail as Record<string, unknown>;
    if (!when(detail)) return;
    done = !every;
    act(detail);
  });
  return stop;
}
