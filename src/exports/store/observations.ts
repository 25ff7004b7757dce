/**
 * What this server read from Clari without an export: audit pages (clari_list_audit_events and
 * the audit resources, no quota spent), opportunity lookups and the CRM totals of synchronous
 * forecast reads (clari_get_forecast). They are kept beside the exports,
 * per credential, so questions can be asked of everything read, not only of exports. Each is one
 * small file (0600) or database row, scrubbed of secrets before it is written, bounded in count and in age.
 */
import path from "node:path";
import { redactDeep } from "../../security/redact-deep.js";
import type { AuditPage, Opportunity } from "../../client/schemas.js";
import type { CrmRead } from "../observed/crm-read.js";
import type { ObservationKind as Kind, ObservationStorage, Observed } from "../../state/backend.js";
import { folderObservations } from "../../state/folder.js";

export type { Observed } from "../../state/backend.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Most observations kept of each kind (the oldest go first), and for how long. Clari's audit log
 * reaches back about 30 days, so older pages say nothing new; a forecast read is the only record
 * of its week's CRM totals, so reads are kept for a year (past quarters stay queryable).
 */
const BOUNDS: Record<Kind, { maxPerKind: number; maxAgeMs: number }> = {
  audit: { maxPerKind: 500, maxAgeMs: 31 * DAY_MS },
  opportunities: { maxPerKind: 500, maxAgeMs: 31 * DAY_MS },
  forecast: { maxPerKind: 200, maxAgeMs: 366 * DAY_MS },
};

export class Observations {
  private readonly memory: Record<Kind, Observed<unknown>[]> = { audit: [], opportunities: [], forecast: [] };
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

  recordForecastRead(read: CrmRead, fetchedAt = Date.now()): Promise<void> {
    return this.record("forecast", { fetchedAt, data: read });
  }

  forecastReads(): Promise<Observed<CrmRead>[]> {
    return this.read("forecast") as Promise<Observed<CrmRead>[]>;
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
      if (list.length > BOUNDS[kind].maxPerKind) list.splice(0, list.length - BOUNDS[kind].maxPerKind);
    } else {
      await this.storage.append(kind, clean, BOUNDS[kind]);
    }
    this.recorded++;
  }

  /** Oldest first. One another process is writing or that is damaged is passed over. */
  private async read(kind: Kind): Promise<Observed<unknown>[]> {
    if (!this.storage) return [...this.memory[kind]];
    return this.storage.list(kind);
  }
}
