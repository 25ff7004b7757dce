/** A job taken out of the journal (and out of the jobIds kept in memory): the next identical ask queues a new one. */
import type { ExportDeps } from "../context.js";
import { faultText } from "./errors.js";
import { dropKept } from "./kept.js";

/**
 * Takes a job's record out of the journal (its end is confirmed); a record that cannot be removed
 * now is removed at the next confirmed end. `key`: the request's journal key when known, else the
 * record is found by its jobId. A failure is logged, not thrown.
 */
export async function forget(deps: ExportDeps, jobId: string, key: string | undefined): Promise<void> {
  dropKept(deps, jobId);
  await deps.store.lock
    .run(async () => {
      const record = key ? await deps.journal.get(key) : await deps.journal.findJob(jobId);
      if (record && record.jobId === jobId) await deps.journal.remove(record.requestKey);
    })
    .catch((error: unknown) => deps.logger.warn(`could not take job ${jobId} out of the journal: ${faultText(error)}`));
}
