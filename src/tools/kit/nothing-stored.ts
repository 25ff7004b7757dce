/**
 * clari_query over data that was never stored answers "0 rows", which reads like "nobody" or
 * "nothing happened". When a table the question reads from has nothing stored behind it, the
 * answer says so and gives the exact call that stores it; so does a named metric asked about a
 * tab or period no stored export holds.
 */
import type { Deps } from "../../deps.js";
import { METRIC_NAMES, storedCount, type StoredFamily } from "../../exports/index.js";

const DAY_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

interface Family {
  /** The tables of this family, by name. */
  tables: RegExp;
  /** What must be stored (any one of these). */
  stored: StoredFamily[];
  what: string;
  call(tabs: readonly string[], now: number): string;
}

const FAMILIES: Family[] = [
  {
    tables: /^(forecast\w*|people|reports_to)$/,
    stored: ["forecast"],
    what: "no forecast export",
    call: (tabs) => `clari_export_forecast {"forecastId":"${tabs[0] ?? "<the Forecast Tab id from its Clari URL>"}"}`,
  },
  { tables: /^audit\w*$/, stored: ["audit", "auditPages"], what: "no audit export or audit page", call: () => `clari_export_audit_events {} (the last 30 days in one file)` },
  {
    tables: /^activit\w*$/,
    stored: ["activity"],
    what: "no activity export",
    call: (_, now) => `clari_export_activity {"startDate":"${day(now - 30 * DAY_MS)}","endDate":"${day(now)}"}`,
  },
  {
    tables: /^opportunit\w*$/,
    stored: ["opportunityLookups"],
    what: "no opportunity lookup",
    call: (_, now) => `clari_get_opportunities {"fromActivities":{"since":"${day(now - 30 * DAY_MS)}","until":"${day(now)}"}} (after an activity export)`,
  },
];

/** The table names a query reads (after FROM or JOIN). */
function tablesRead(sql: string): string[] {
  return [...sql.matchAll(/\b(?:from|join)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?/gi)].map((m) => m[1]!.toLowerCase());
}

/** One line per family the query reads from with nothing stored behind it (none when all have data). */
export async function nothingStoredNotes(sql: string, deps: Deps, tabs: readonly string[], now = Date.now()): Promise<string[]> {
  const read = tablesRead(sql);
  const notes: string[] = [];
  for (const family of FAMILIES) {
    if (!read.some((t) => family.tables.test(t))) continue;
    let held = 0;
    for (const kind of family.stored) held += await storedCount(deps, kind).catch(() => 1);
    if (held === 0) notes.push(`Nothing stored to answer from: ${family.what} yet. Store it first with ${family.call(tabs, now)}, then ask again.`);
  }
  return notes;
}

const METRIC_CALLS = new RegExp(`\\b(${[...METRIC_NAMES].join("|")})\\s*\\(\\s*'([^']*)'(?:\\s*,\\s*'([^']*)')?`, "gi");

/** An empty answer from a named metric whose tab (or period) no stored forecast export holds: what is stored, and the call that stores it. */
export function unknownTargetNotes(sql: string, deps: Pick<Deps, "store">, rowCount: number): string[] {
  if (rowCount > 0) return [];
  const stored = deps.store.list().filter((e) => e.kind === "forecast");
  const periodsOf = new Map<string, Set<string>>();
  for (const e of stored) {
    const tab = typeof e.request.forecastId === "string" ? e.request.forecastId : undefined;
    if (!tab) continue;
    const periods = periodsOf.get(tab) ?? new Set<string>();
    periods.add(typeof e.request.timePeriod === "string" ? e.request.timePeriod : "the quarter current when exported");
    periodsOf.set(tab, periods);
  }
  const notes = new Set<string>();
  for (const [, metric, tab, period] of sql.matchAll(METRIC_CALLS)) {
    const periods = periodsOf.get(tab!);
    const exportCall = `clari_export_forecast {"forecastId":"${tab}"${period ? `,"timePeriod":"${period}"` : ""}}`;
    if (!periods) {
      const have = [...periodsOf.keys()];
      notes.add(`${metric}('${tab}') found nothing: no export of tab '${tab}' is stored${have.length ? ` (stored tabs: ${have.join(", ")})` : ""}. Store it with ${exportCall}, or check the tab id.`);
    } else if (period && !periods.has(period) && [...periods].every((p) => /^\d{4}_Q\d$/.test(p))) {
      notes.add(`${metric}('${tab}', '${period}') found nothing: the stored exports of '${tab}' are for ${[...periods].join(", ")}. Store ${period} with ${exportCall}.`);
    }
  }
  return [...notes];
}
