/**
 * What this server read from Clari without an export: audit pages (clari_list_audit_events and
 * the audit resources, no quota spent) and opportunity lookups. They are kept beside the exports,
 * per credential, so questions can be asked of everything read, not only of exports. Each is one
 * small file (0600, scrubbed of secrets before it is written), bounded in count and in age.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { redactDeep } from "../../client/redact.js";
import type { AuditPage, Opportunity } from "../../client/schemas.js";

export interface Observed<T> {
  /** When it was read from Clari (epoch ms). */
  fetchedAt: number;
  data: T;
}

type Kind = "audit" | "opportunities";

/** Most observations kept of each kind; the oldest go first. */
const MAX_PER_KIND = 500;
/** Clari's audit log reaches back about 30 days; older observations say nothing new. */
const MAX_AGE_MS = 31 * 24 * 60 * 60 * 1000;

export class Observations {
  private readonly memory: Record<Kind, Observed<unknown>[]> = { audit: [], opportunities: [] };

  private constructor(private readonly dir: string | undefined) {}

  /** dir: the credential's store folder, or undefined for memory only. */
  static open(storeDir: string | undefined): Observations {
    return new Observations(storeDir ? path.join(storeDir, "seen") : undefined);
  }

  recordAuditPage(page: AuditPage, fetchedAt = Date.now()): Promise<void> {
    return this.record("audit", { fetchedAt, data: page });
  }

  recordOpportunities(opportunities: Opportunity[], fetchedAt = Date.now()): Promise<void> {
    return this.record("opportunities", { fetchedAt, data: opportunities });
  }

  auditPages(): Promise<Observed<AuditPage>[]> {
    return this.read("audit") as Promise<Observed<AuditPage>[]>;
  }

  opportunityLookups(): Promise<Observed<Opportunity[]>[]> {
    return this.read("opportunities") as Promise<Observed<Opportunity[]>[]>;
  }

  private async record(kind: Kind, observed: Observed<unknown>): Promise<void> {
    const clean = redactDeep(observed);
    if (!this.dir) {
      const list = this.memory[kind];
      list.push(clean);
      if (list.length > MAX_PER_KIND) list.splice(0, list.length - MAX_PER_KIND);
      return;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${kind}-${String(observed.fetchedAt).padStart(15, "0")}-${randomBytes(4).toString("hex")}.json`;
    const temp = path.join(this.dir, `${name}.tmp`);
    await writeFile(temp, JSON.stringify(clean), { mode: 0o600 });
    await rename(temp, path.join(this.dir, name));
    await this.prune(kind);
  }

  /** Oldest first. A file another process is writing or that is damaged is passed over. */
  private async read(kind: Kind): Promise<Observed<unknown>[]> {
    if (!this.dir) return [...this.memory[kind]];
    const out: Observed<unknown>[] = [];
    for (const name of await this.names(kind)) {
      try {
        out.push(JSON.parse(await readFile(path.join(this.dir, name), "utf8")) as Observed<unknown>);
      } catch {
        /* damaged or gone meanwhile: nothing to ask of it */
      }
    }
    return out;
  }

  private async names(kind: Kind): Promise<string[]> {
    const all = await readdir(this.dir!).catch(() => [] as string[]);
    return all.filter((n) => n.startsWith(`${kind}-`) && n.endsWith(".json")).sort();
  }

  private async prune(kind: Kind): Promise<void> {
    const names = await this.names(kind);
    const cutoff = Date.now() - MAX_AGE_MS;
    const old = names.filter((n, i) => i < names.length - MAX_PER_KIND || Number(n.split("-")[1]) < cutoff);
    for (const name of old) await rm(path.join(this.dir!, name), { force: true });
  }
}
