/**
 * What the runtime answers exists from then on, as on AWS: an execution ARN returned by
 * StartExecution and an EventId returned by PutEvents survive a crash. The served StartExecution and
 * PutEvents journal what they did before they answer; the next start applies again what the journal
 * holds and the last checkpoint does not.
 *
 * Only the answers the server sends are journaled. What handlers and the engine do through the same
 * services is redone by the redrive that follows a crash; journaling it as well would do it twice.
 */
import type { EventEnvelope, LocalEventBridge, PutEventsResponse } from "../bus/index.ts";
import type { Engine } from "../engine/index.ts";
import type { AwsJsonService, Operation } from "../server/aws-json.ts";
import type { Journal, Journaled } from "./journal.ts";

export type AcknowledgedRecord =
  | {
      readonly kind: "start";
      readonly arn: string;
      readonly stateMachineArn: string;
      readonly name: string;
      readonly input: string;
    }
  | {
      readonly kind: "event";
      readonly busName: string;
      readonly ingestedAt: number;
      readonly event: EventEnvelope;
    };

/**
 * The services as the server serves them: StartExecution and PutEvents resolve once what they did is
 * journaled (a failed journal write is a 500, and the caller retries). Other operations are as given.
 */
export function journaledServices(
  services: readonly AwsJsonService[],
  journal: Journal<AcknowledgedRecord>,
  bus: LocalEventBridge,
): AwsJsonService[] {
  return services.map((service) => {
    const wrap = (
      name: string,
      after: (input: Record<string, unknown>, output: unknown) => Promise<void>,
    ) => {
      const operation = service.operations[name];
      if (!operation) return {};
      const journaled: Operation = async (input) => {
        const output = await operation(input);
        await after(input, output);
        return output;
      };
      return { [name]: journaled };
    };
    if (service.targetPrefix === "AWSStepFunctions") {
      return {
        ...service,
        operations: {
          ...service.operations,
          ...wrap("StartExecution", (input, output) => {
            const arn = (output as { executionArn: string }).executionArn;
            return journal.append({
              kind: "start",
              arn,
              stateMachineArn: String(input.stateMachineArn),
              name: arn.slice(arn.lastIndexOf(":") + 1),
              input: typeof input.input === "string" ? input.input : "{}",
            });
          }),
        },
      };
    }
    if (service.targetPrefix === "AWSEvents") {
      return {
        ...service,
        operations: {
          ...service.operations,
          ...wrap("PutEvents", async (_input, output) => {
            const appended: Promise<void>[] = [];
            for (const entry of (output as PutEventsResponse).Entries) {
              // An event the log no longer retains (a retention smaller than one request) has nothing to keep.
              const logged = entry.EventId ? bus.eventLog.get(entry.EventId) : undefined;
              if (!logged) continue;
              const { busName, ingestedAt, event } = logged;
              appended.push(journal.append({ kind: "event", busName, ingestedAt, event }));
            }
            await Promise.all(appended);
          }),
        },
      };
    }
    return service;
  });
}

export interface ReplayReport {
  /** Executions the journal started that the saved state did not have: started again. */
  readonly started: readonly string[];
  /** Events the journal logged that the saved state did not have: logged and delivered again. */
  readonly events: readonly string[];
  /** Records that could not be applied (their state machine is gone, say), with why. */
  readonly failed: readonly { readonly lsn: number; readonly reason: string }[];
}

/**
 * Applies again, in order, what the journal acknowledged and the restored state lacks: an execution
 * the engine does not know is started under its name and input; an event the log does not hold is
 * logged and routed, each delivery with the key it had, so that an execution a delivery started
 * before the crash (and the checkpoint kept) is found, not started a second time.
 */
export function replayAcknowledged(
  records: readonly Journaled<AcknowledgedRecord>[],
  target: { engine: Engine; bus: LocalEventBridge },
): ReplayReport {
  const started: string[] = [];
  const events: string[] = [];
  const failed: { lsn: number; reason: string }[] = [];
  const known = (arn: string) => {
    try {
      target.engine.describeExecution(arn);
      return true;
    } catch {
      return false;
    }
  };
  for (const record of records) {
    try {
      if (record.kind === "start") {
        if (known(record.arn)) continue;
        target.engine.startExecution({
          stateMachineArn: record.stateMachineArn,
          name: record.name,
          input: record.input,
        });
        started.push(record.arn);
      } else if (target.bus.reingest(record)) {
        events.push(record.event.id);
      }
    } catch (error) {
      failed.push({
        lsn: record.lsn,
        reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return { started, events, failed };
}
