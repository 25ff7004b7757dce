/**
 * Reads that cost no export quota but are kept for questions (see exports/store/observations.ts):
 * an audit page, an opportunity lookup. Keeping them must never fail the read itself.
 */
import type { AuditFilters } from "../../client/clari-client.js";
import type { AuditPage, Opportunity } from "../../client/schemas.js";
import type { Deps } from "../../deps.js";

export async function readAuditPage(deps: Deps, args: AuditFilters & { limit?: number | undefined; nextLink?: string | undefined }, signal: AbortSignal): Promise<AuditPage> {
  const page = await deps.client.listAuditEvents(args, { signal });
  await deps.observations.recordAuditPage(page).catch((error: unknown) => deps.logger.warn(`could not keep the audit page: ${(error as Error).message}`));
  deps.query.observationsChanged();
  return page;
}

export async function lookUpOpportunities(deps: Deps, oppIds: string[], mode: string | undefined, signal: AbortSignal): Promise<Opportunity[]> {
  const opportunities = await deps.client.getOpportunities(oppIds, mode, { signal });
  await deps.observations.recordOpportunities(opportunities).catch((error: unknown) => deps.logger.warn(`could not keep the opportunity lookup: ${(error as Error).message}`));
  deps.query.observationsChanged();
  return opportunities;
}
