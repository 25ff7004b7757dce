/**
 * What this server read from Clari without an export: audit pages (clari_list_audit_events and
 * the audit resources, no quota spent) and opportunity lookups. They are kept beside the exports,
 * per credential, so questions can be asked of everything read, not only of exports. Each is one
 * small file (0600) or database row, scrubbed of secrets before it is written, bounded in count and in age.
 */
import path from "node:path";
import { redactDeep } from "../../security/redact-deep.js";
import type { AuditPage, Opportunity } from "../../client/schemas.js";
import type { ObservationKind as Kind, ObservationStorage, Observed } from "../../state/backend.js";
import { folderObservations } from "../../state/folder.js";

export type { Observed } from "../../state/backend.js";

/** Most observations kept of each kind; the oldest go first. */
const MAX_PER_KIND = 500;
/** Clari's audit log reaches back about 30 days; older observations say nothing new. */
const MAX_AGE_MS = 31 * 24 * 60 * 60 * 1000;

export class Observations {
  private readonly memory: Record<Kind, Observed<unknown>[]> = { audit: [], opportunities: [] };
  private recorded = 0;

  private constructor(private readonly storage: ObservationStorage | undefined) {}

  /** dir: the credential's store folder, or undefined for memory only. */
  static open(storeDir: string | undefined): Observations {
    return new Observations(storeDir ? folderObservations(path.join(storeDir, "seen")) : undefined);
  }

  /** Observations kept by a state backend (a folder's or a database's). */
  static on(storage: ObservationStorage): Observations {
    return new Observations(storage);
  }

  recordAuditPage(page: AuditPage, fetchedAt = Date.now()): Promise<void> {
    return this.record("audit", { fetchedAt, data: page });
  }

  recordOpportunities(opportunities: Opportunity[], fetchedAt = Date.now()): Promise<void> {
    return this.record("opportunities", { fetchedAt, data: opportunities });
  }

  /** Grows with every observation this process records (readers that cache compare it). */
  get version(): number {
    return this.recorded;
  }

  auditPages(): Promise<Observed<AuditPage>[]> {
    return this.read("audit") as Promise<Observed<AuditPage>[]>;
  }

  opportunityLookups(): Promise<Observed<Opportunity[]>[]> {
    return this.read("opportunities") as Promise<Observed<Opportunity[]>[]>;
  }

  private async record(kind: Kind, observed: Observed<unknown>): Promise<void> {
    const clean = redactDeep(observed);
    if (!this.storage) {
      const list = this.memory[kind];
      list.push(clean);
      if (list.length > MAX_PER_KIND) list.splice(0, list.length - MAX_PER_KIND);
    } else {
      await this.storage.append(kind, clean, { maxPerKind: MAX_PER_KIND, maxAgeMs: MAX_AGE_MS });
    }
    this.recorded++;
  }

  /** Oldest first. One another process is writing or that is damaged is passed over. */
  private async read(kind: Kind): Promise<Observed<unknown>[]> {
    if (!this.storage) return [...this.memory[kind]];
    return this.storage.list(kind);
  }
}
