/**
 * The Forecast Tabs this server knows of. Clari has no API that lists an org's tabs, so they are
 * gathered from what is at hand: the --forecast-tabs setting, the stored forecast exports, and the
 * audit log (`forecastId` in the parameters of forecast events, from audit pages read and audit
 * exports stored). A tab missing here may still exist: exporting it is never refused for that.
 */
import type { ExportDeps } from "../context.js";
import type { StoredExport } from "../store/store.js";

export type TabSource = "setting" | "export" | "audit";

export interface KnownTab {
  forecastId: string;
  /** Where it was seen. */
  seenIn: TabSource[];
  /** Stored exports of it, and when the newest finished (ISO). */
  exports: number;
  lastExportedAt?: string;
}

type TabDeps = Pick<ExportDeps, "store" | "observations"> & { config: { forecastTabs: readonly string[] } };

/** A forecastId in audit parameters, whether they are an object or a JSON string inside the event. */
const IN_AUDIT = /\\?"forecastId\\?"\s*:\s*\\?"([A-Za-z0-9_.-]{1,100})\\?"/g;
/** Audit exports larger than this are not scanned for tab names (the other sources still are). */
const MAX_SCAN_BYTES = 64 * 1024 * 1024;
/** Another process sharing the store may have read audit pages: look again after this long. */
const PAGES_STALE_MS = 30_000;

function idsIn(text: string, into: Set<string>): void {
  for (const match of text.matchAll(IN_AUDIT)) into.add(match[1]!);
}

interface Cache {
  /** Per audit export (immutable once stored): the tabs its events name. */
  exports: Map<string, string[]>;
  pages: { version: number; readAt: number; ids: string[] } | undefined;
}
const caches = new WeakMap<object, Cache>();

function cacheOf(deps: TabDeps): Cache {
  let cache = caches.get(deps.store);
  if (!cache) caches.set(deps.store, (cache = { exports: new Map(), pages: undefined }));
  return cache;
}

async function auditExportTabs(deps: TabDeps, entry: StoredExport, cache: Cache): Promise<string[]> {
  const cached = cache.exports.get(entry.jobId);
  if (cached) return cached;
  const ids = new Set<string>();
  if (entry.bytes <= MAX_SCAN_BYTES) idsIn((await deps.store.read(entry.jobId)).toString("utf8"), ids);
  const found = [...ids];
  cache.exports.set(entry.jobId, found);
  return found;
}

async function auditPageTabs(deps: TabDeps, cache: Cache): Promise<string[]> {
  const version = deps.observations.version;
  const pages = cache.pages;
  if (pages && pages.version === version && Date.now() - pages.readAt < PAGES_STALE_MS) return pages.ids;
  const ids = new Set<string>();
  for (const page of await deps.observations.auditPages()) idsIn(JSON.stringify(page.data), ids);
  cache.pages = { version, readAt: Date.now(), ids: [...ids] };
  return cache.pages.ids;
}

/** Every tab known, those exported most recently first, then the others as first seen (setting order, then the audit log). A source that cannot be read is passed over. */
export async function knownForecastTabs(deps: TabDeps): Promise<KnownTab[]> {
  const tabs = new Map<string, KnownTab>();
  const see = (forecastId: string, source: TabSource): KnownTab => {
    let tab = tabs.get(forecastId);
    if (!tab) tabs.set(forecastId, (tab = { forecastId, seenIn: [], exports: 0 }));
    if (!tab.seenIn.includes(source)) tab.seenIn.push(source);
    return tab;
  };
  for (const id of deps.config.forecastTabs) see(id, "setting");
  const cache = cacheOf(deps);
  await deps.store.sync().catch(() => undefined);
  const stored = deps.store.list();
  const newest = new Map<string, number>();
  for (const entry of stored) {
    const id = entry.request.forecastId;
    if (entry.kind !== "forecast" || typeof id !== "string") continue;
    see(id, "export").exports++;
    newest.set(id, Math.max(newest.get(id) ?? 0, entry.completedAt));
  }
  const audit: string[] = [];
  for (const entry of stored.filter((e) => e.kind === "audit")) audit.push(...(await auditExportTabs(deps, entry, cache).catch(() => [])));
  audit.push(...(await auditPageTabs(deps, cache).catch(() => [])));
  for (const id of audit) see(id, "audit");
  for (const [id, at] of newest) tabs.get(id)!.lastExportedAt = new Date(at).toISOString();
  return [...tabs.values()].sort((a, b) => (newest.get(b.forecastId) ?? 0) - (newest.get(a.forecastId) ?? 0));
}
