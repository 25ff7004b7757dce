/** How much of each kind is stored: what a question over the stored data can answer from. */
import type { ExportDeps } from "../context.js";
import type { ExportKind } from "./store.js";

export type StoredFamily = ExportKind | "auditPages" | "opportunityLookups";

/** The number stored of one family (exports of a kind, audit pages read, opportunity lookups). */
export async function storedCount(deps: Pick<ExportDeps, "store" | "observations">, family: StoredFamily): Promise<number> {
  if (family === "auditPages") return (await deps.observations.auditPages()).length;
  if (family === "opportunityLookups") return (await deps.observations.opportunityLookups()).length;
  await deps.store.sync();
  return deps.store.list().filter((e) => e.kind === family).length;
}
