/**
 * Work the runtime does on its own, on a schedule (the DR upkeep every 5 and 30 simulated minutes, the
 * scratch sweeper every hour), as opposed to work someone asked for. On an instant clock only the
 * latter keeps simulated time moving: the cloud's heartbeat runs on for an hour after the cloud was last
 * used (so that an alarm can see a region go down), and if scheduled runs counted as use, each run would
 * keep the heartbeat, and with it the clock, running until the next run: an idle runtime went through
 * days of schedules a minute (issue #12: an instant clock comes to rest when only background timers
 * remain). The mark follows the work through its promises (AsyncLocalStorage).
 */
import { AsyncLocalStorage } from "node:async_hooks";

const background = new AsyncLocalStorage<true>();

/** Runs `work` (and what it starts through its promises) as background work. */
export function runInBackground<T>(work: () => T): T {
  return background.run(true, work);
}

/** Whether the caller runs as background work. */
export function inBackground(): boolean {
  return background.getStore() === true;
}

/**
 * `fn`, to run later as the work that made it: background if its caller was, otherwise not, whoever
 * calls it. The virtual clock fires many timers from one real timer, armed by whichever caller was
 * first; without this, a timer of someone's request could run as the background work that happened
 * to arm that real timer, and the other way round.
 */
export function asItsCaller(fn: () => void): () => void {
  return inBackground() ? () => background.run(true, fn) : () => background.exit(fn);
}
