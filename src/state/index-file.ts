/**
 * index.json: what the store holds, schema-checked on every read. A file that is not a valid
 * index (valid JSON of the wrong shape, a truncated write, bytes from elsewhere) is never fatal
 * and never silently dropped: it is moved aside with its bytes intact, every whole entry in it is
 * salvaged, and the store goes on (the files themselves are re-indexed by the store).
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { redactDeep } from "../security/redact-deep.js";

export const exportKinds = ["forecast", "audit", "activity"] as const;
export type ExportKind = (typeof exportKinds)[number];

const storedExportSchema = z.object({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  kind: z.enum(exportKinds),
  /** Canonical form of the request that produced it (see request-key.ts). */
  requestKey: z.string(),
  request: z.record(z.string(), z.unknown()),
  mimeType: z.enum(["application/json", "text/csv"]),
  bytes: z.number().int().nonnegative(),
  /** When the file landed in the store (epoch ms). */
  storedAt: z.number(),
  /** When Clari finished the job (epoch ms), if known. */
  completedAt: z.number(),
  /** After this the entry and its file are removed (Clari's expiredTime). */
  expiresAt: z.number(),
  /** Last read (epoch ms): the least recently used go first when the store is over its size cap. */
  lastUsedAt: z.number().optional(),
  title: z.string().optional(),
  clariFileName: z.string().optional(),
  rowsTruncated: z.boolean().optional(),
  cellsTruncated: z.boolean().optional(),
});
export type StoredExport = z.output<typeof storedExportSchema>;

const indexSchema = z.object({ version: z.union([z.literal(1), z.literal(2)]), exports: z.array(z.unknown()) });

export interface IndexRead {
  entries: StoredExport[];
  /** Set when the file was damaged: where its bytes were moved and what was wrong. */
  damaged?: { movedTo: string; problem: string; salvaged: number };
}

export const INDEX_FILE = "index.json";

export async function readIndex(dir: string): Promise<IndexRead> {
  const file = path.join(dir, INDEX_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { entries: [] };
    throw error;
  }
  const { entries, problem } = await parseIndex(bytes);
  if (!problem) return { entries };
  const movedTo = path.join(dir, `${INDEX_FILE}.bad-${Date.now()}-${randomBytes(3).toString("hex")}`);
  await rename(file, movedTo);
  return { entries, damaged: { movedTo, problem, salvaged: entries.length } };
}

/** An index's bytes, schema-checked: its valid entries, and what was wrong when anything was (whole entries are salvaged). */
export async function parseIndex(bytes: Buffer): Promise<{ entries: StoredExport[]; problem?: string }> {
  let problem: string | undefined;
  let candidates: unknown[] = [];
  try {
    const parsed = indexSchema.safeParse(JSON.parse(bytes.toString("utf8")));
    if (parsed.success) candidates = parsed.data.exports;
    else problem = `not an index (${parsed.error.issues[0]?.message ?? "wrong shape"})`;
  } catch (error) {
    problem = `unreadable JSON (${(error as Error).message.slice(0, 120)})`;
    candidates = await salvageEntries(bytes);
  }
  const entries: StoredExport[] = [];
  let invalid = 0;
  for (const candidate of candidates) {
    const entry = storedExportSchema.safeParse(candidate);
    if (entry.success) entries.push(entry.data);
    else invalid += 1;
  }
  if (!problem && invalid === 0) return { entries };
  problem ??= `${invalid} entr${invalid === 1 ? "y" : "ies"} of the wrong shape`;
  return { entries, problem };
}

/** The index as written: secrets scrubbed first (a key echoed in a job title, say). */
export function indexText(entries: StoredExport[]): string {
  return JSON.stringify(redactDeep({ version: 2, exports: entries }));
}

/** Every whole entry of a cut-short index, read with a streaming parser up to where it breaks (loaded only then: not at start). */
async function salvageEntries(bytes: Buffer): Promise<unknown[]> {
  const { JSONParser } = await import("@streamparser/json");
  const found: unknown[] = [];
  const parser = new JSONParser({ paths: ["$.exports.*"], keepStack: false });
  parser.onValue = ({ value }) => found.push(value);
  parser.onError = () => undefined;
  try {
    parser.write(bytes);
  } catch {
    /* the cut: keep what came before it */
  }
  return found;
}

/** Atomic: a temp file renamed over the index, so a reader sees the old or the new, never half. */
export async function writeIndex(dir: string, entries: StoredExport[]): Promise<void> {
  const temp = path.join(dir, `${INDEX_FILE}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    // Nothing reaches the disk before secrets are scrubbed (a key echoed in a job title, say).
    await writeFile(temp, indexText(entries), { mode: 0o600 });
    await rename(temp, path.join(dir, INDEX_FILE));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
