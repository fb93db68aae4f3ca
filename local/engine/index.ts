/** The local Amazon States Language engine: public surface for the runtime, the server and the CLI. */
export {
  Engine,
  type EngineEvent,
  type EngineOptions,
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionStatus,
  type SavedExecution,
  type StateMachineDescription,
} from "./engine.ts";
export * from "./errors.ts";
export type { HistoryEvent, HistoryEventType } from "./history.ts";
export type { Json, JsonObject } from "./json.ts";
export {
  functionError,
  type InvokeContext,
  type PutEventsEntry,
  type PutEventsResult,
  type TaskCall,
  type TaskRuntime,
} from "./tasks.ts";
export { validateDefinition } from "./validate.ts";
