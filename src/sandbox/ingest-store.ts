/**
 * The ingest API's in-memory state: per-entity schemas, picklist values and accepted records, and
 * the bulk ingest jobs (status from the clock: QUEUED for the first 20% of the duration, then
 * IN_PROGRESS, then SUCCESS / VALIDATION_FAILED / FAILED). No HTTP here.
 */
import { IdSequence } from "./jobs.js";

export type FieldType = "number" | "string" | "date" | "picklist" | "multipicklist";
export type IngestErr = [code: string, summary: string];

export interface EntityState {
  schema: Map<string, FieldType>;
  picklists: Map<string, string[]>;
  records: Map<string, Record<string, unknown>>;
  initialDone: boolean;
}

export type IngestStatus = "QUEUED" | "IN_PROGRESS" | "SUCCESS" | "FAILED" | "VALIDATION_FAILED";

export interface IngestJob {
  jobId: string;
  entity: string;
  fileName: string;
  submittedTime: number;
  durationMs: number;
  stuck: boolean;
  failed: boolean;
  errors: IngestErr[];
  records: number;
}

const SCHEMAS: Record<string, Record<string, FieldType>> = {
  account: {
    healthScore: "number",
    nps: "number",
    mrr: "number",
    csm: "string",
    openSuccessPlan: "string",
    lifecycleStage: "picklist",
    trend: "picklist",
    isACustomerOf: "multipicklist",
    adoptionDate: "date",
    dateOfLastTimelineActivity: "date",
  },
  opportunity: {
    engagementScore: "number",
    nextMeeting: "date",
    riskLevel: "picklist",
    partnerStage: "picklist",
    competitors: "multipicklist",
    partnerNotes: "string",
  },
};

const PICKLISTS: Record<string, Record<string, string[]>> = {
  account: {
    lifecycleStage: ["early", "growth", "mature", "renewal"],
    trend: ["Up", "Down", "Same"],
    isACustomerOf: ["Customer1", "Customer2"],
  },
  opportunity: {
    riskLevel: ["Low", "Medium", "High"],
    partnerStage: ["Sourced", "Engaged", "Co-selling"],
    competitors: ["Acme", "Globex", "Initech"],
  },
};

export class IngestStore {
  readonly entities = new Map<string, EntityState>();
  private readonly jobs = new Map<string, IngestJob>();
  private readonly ids: IdSequence;
  recordsAccepted = 0;
  jobsCreated = 0;

  constructor(seed: number) {
    this.ids = new IdSequence(seed, "ingest-job");
    for (const [entity, schema] of Object.entries(SCHEMAS)) {
      const picklists = new Map<string, string[]>();
      for (const [field, type] of Object.entries(schema)) {
        if (type === "picklist" || type === "multipicklist") picklists.set(field, [...(PICKLISTS[entity]?.[field] ?? [])]);
      }
      this.entities.set(entity, { schema: new Map(Object.entries(schema)), picklists, records: new Map(), initialDone: false });
    }
  }

  status(job: IngestJob, now: number): IngestStatus {
    const elapsed = now - job.submittedTime;
    if (elapsed < job.durationMs * 0.2) return "QUEUED";
    if (job.stuck || elapsed < job.durationMs) return "IN_PROGRESS";
    if (job.failed) return "FAILED";
    return job.errors.length > 0 ? "VALIDATION_FAILED" : "SUCCESS";
  }

  running(now: number): number {
    let n = 0;
    for (const j of this.jobs.values()) {
      const s = this.status(j, now);
      if (s === "QUEUED" || s === "IN_PROGRESS") n++;
    }
    return n;
  }

  addJob(job: Omit<IngestJob, "jobId">): IngestJob {
    const full: IngestJob = { ...job, jobId: this.ids.next() };
    this.jobs.set(full.jobId, full);
    this.jobsCreated++;
    return full;
  }

  getJob(jobId: string): IngestJob | undefined {
    return this.jobs.get(jobId);
  }

  apply(entity: EntityState, datasets: ReadonlyArray<{ records: Array<Record<string, unknown>> }>): number {
    let n = 0;
    for (const ds of datasets) {
      for (const rec of ds.records) {
        const id = String(rec.id);
        entity.records.set(id, { ...(entity.records.get(id) ?? {}), ...rec });
        n++;
      }
    }
    this.recordsAccepted += n;
    return n;
  }
}
