/**
 * A transaction held open across calls (the Data API's BeginTransaction ... CommitTransaction), on a
 * database whose `transaction(work)` commits when `work` returns: the work waits until `end` names the
 * outcome. Shared by the Data API and the database threads.
 */
export interface HeldTransaction<Tx> {
  readonly tx: Tx;
  /** Commits or rolls back; `done` settles once the database has. */
  readonly end: (action: "commit" | "rollback") => void;
  readonly done: Promise<void>;
}

export async function holdTransaction<Tx extends { rollback(): Promise<void> }>(db: {
  transaction(work: (tx: Tx) => Promise<void>): Promise<void>;
}): Promise<HeldTransaction<Tx>> {
  let ready: (tx: Tx) => void = () => undefined;
  const started = new Promise<Tx>((resolve) => {
    ready = resolve;
  });
  let end: (action: "commit" | "rollback") => void = () => undefined;
  const ended = new Promise<"commit" | "rollback">((resolve) => {
    end = resolve;
  });
  const done = db.transaction(async (tx) => {
    ready(tx);
    if ((await ended) === "rollback") await tx.rollback();
  });
  // A transaction that fails to start answers with its error instead of waiting for ever.
  const tx = await Promise.race([
    started,
    done.then(() => Promise.reject(new Error("the transaction ended before it began"))),
  ]);
  return { tx, end, done };
}
