/**
 * The audit trail of tool calls on a folder: one append-only file per UTC day
 * (`audit/<YYYY-MM-DD>.jsonl`, 0600), a line per call, appended with O_APPEND in one write, so
 * processes sharing the folder need no lock to add theirs. A purge removes whole days. Without a
 * folder (--no-cache, the sandbox) the newest rows are kept in memory.
 */
import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { AuditRow, AuditStorage } from "./backend.js";

/** What an audit row's id looks like (time-ordered: compare ids as strings). */
export const AUDIT_ID = /^[0-9a-z]{9}[0-9a-f]{10}$/;

/** A new row id for a call made at `at` (epoch ms). */
export function auditId(at: number): string {
  return `${Math.max(0, Math.floor(at)).toString(36).padStart(9, "0")}${randomBytes(5).toString("hex")}`;
}

/** Whether a value read back is a row (a damaged line is passed over). */
export function isAuditRow(value: unknown): value is AuditRow {
  const r = value as Partial<AuditRow> | null;
  return (
    typeof r === "object" && r !== null && typeof r.id === "string" && AUDIT_ID.test(r.id) && typeof r.at === "number" && typeof r.caller === "string" &&
    typeof r.tool === "string" && typeof r.args === "string" && (r.outcome === "ok" || r.outcome === "error") && typeof r.quotaSpent === "number" && typeof r.ms === "number"
  );
}

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);

function matches(row: AuditRow, options: { caller?: string | undefined; before?: string | undefined }): boolean {
  return (options.caller === undefined || row.caller === options.caller) && (options.before === undefined || row.id < options.before);
}

export function folderAudit(dir: string): AuditStorage {
  const days = async (): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((f) => DAY_FILE.test(f)).sort().reverse();
  return {
    async append(row) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await appendFile(path.join(dir, `${dayOf(row.at)}.jsonl`), `${JSON.stringify(row)}\n`, { mode: 0o600, flag: "a" });
    },
    async list(options) {
      const out: AuditRow[] = [];
      for (const name of await days()) {
        // Several processes may append a day's rows slightly out of order: each day is sorted on its own.
        const text = await readFile(path.join(dir, name), "utf8").catch(() => "");
        const rows: AuditRow[] = [];
        for (const line of text.split("\n")) {
          if (!line) continue;
          try {
            const row: unknown = JSON.parse(line);
            if (isAuditRow(row) && matches(row, options)) rows.push(row);
          } catch {
            // a line cut by a crash mid-write: passed over
          }
        }
        rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
        for (const row of rows) {
          if (out.length >= options.limit) return out;
          out.push(row);
        }
      }
      return out;
    },
    async purge(before) {
      const cutoff = dayOf(before);
      for (const name of await days()) if (DAY_FILE.exec(name)![1]! < cutoff) await rm(path.join(dir, name), { force: true });
    },
  };
}

/** In memory: the newest `max` rows. */
export function memoryAudit(max = 10_000): AuditStorage {
  const rows: AuditRow[] = [];
  return {
    async append(row) {
      rows.push(row);
      if (rows.length > 1 && rows[rows.length - 2]!.id > row.id) rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (rows.length > max) rows.splice(0, rows.length - max);
    },
    async list(options) {
      const out: AuditRow[] = [];
      for (let i = rows.length - 1; i >= 0 && out.length < options.limit; i--) if (matches(rows[i]!, options)) out.push(rows[i]!);
      return out;
    },
    async purge(before) {
      const keep = rows.filter((r) => r.at >= before);
      rows.splice(0, rows.length, ...keep);
    },
  };
}
