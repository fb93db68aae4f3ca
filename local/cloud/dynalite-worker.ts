/**
 * One region's dynalite (DynamoDB on LevelDB) in a thread of its own: it answers the runtime's SDK
 * client over loopback HTTP as before, but its request parsing, expression evaluation and LevelDB work
 * no longer share the thread of the handlers, the engine and the bus (16 onboardings: 2.8 s of that
 * thread's 17 s). Started with the dynalite options as `workerData`; posts `{ port }` once listening,
 * and `{ closed: true }` when asked to `close` (dynalite's close waits for the requests it serves).
 */
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import dynalite from "dynalite";

const port = parentPort;
if (!port) throw new Error("dynalite-worker.ts runs as a worker thread (see dynamodb.ts)");

const server = dynalite(workerData as Parameters<typeof dynalite>[0]);
server.once("error", (error: Error) => port.postMessage({ error: error.message }));
server.listen(0, "127.0.0.1", () => {
  port.postMessage({ port: (server.address() as AddressInfo).port });
});
port.on("message", (message: { close?: boolean }) => {
  if (!message.close) return;
  server.close(() => {
    port.postMessage({ closed: true });
    port.close();
  });
});
