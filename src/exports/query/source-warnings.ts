/**
 * What a query read (reader/trace-sources.ts), turned into the warnings its answer carries: a
 * result built from rows of more than one tab, period, currency or export of the same tab (unless
 * the result keeps them apart in a column), a latest week that had only just begun when its
 * export was taken (and which week a hygiene question should use), and the definitions of the
 * named metrics it used.
 */
import { isSettling, settlingWarning } from "../read/weeks.js";
import { metricDefinition } from "./metrics.js";
import type { ExportFacts, Sources } from "./reader/trace-sources.js";

const list = (items: Iterable<string>): string => [...items].join(", ");
const quoted = (items: Iterable<string>): string => [...items].map((i) => `'${i}'`).join(", ");

/** Rows of several tabs, periods or currencies, or of several exports of one tab and period. */
function mixing(sources: Sources, columns: ReadonlySet<string>): string[] {
  const facts = new Map(sources.exports.map((e) => [e.exportId, e]));
  const tabs = new Set<string>();
  const periods = new Set<string>();
  const currencies = new Set<string>();
  const exportsOf = new Map<string, Set<string>>();
  for (const row of sources.rows) {
    const e = row.exportId ? facts.get(row.exportId) : undefined;
    const tab = row.forecastId ?? e?.forecastId ?? null;
    const period = row.timePeriod ?? e?.timePeriod ?? null;
    const currency = row.currency ?? e?.currency ?? null;
    if (tab) tabs.add(tab);
    if (period) periods.add(period);
    if (currency) currencies.add(currency);
    if (row.exportId) {
      const key = `${tab ?? "?"} ${period ?? "?"}${currency ? ` ${currency}` : ""}`;
      exportsOf.set(key, (exportsOf.get(key) ?? new Set()).add(row.exportId));
    }
  }
  const kept = (...names: string[]) => names.some((n) => columns.has(n));
  const parts: string[] = [];
  if (tabs.size > 1 && !kept("forecast_id", "export_id")) parts.push(`${tabs.size} tabs (${list(tabs)})`);
  if (periods.size > 1 && !kept("time_period", "export_id")) parts.push(`${periods.size} periods (${list(periods)})`);
  if (currencies.size > 1 && !kept("currency", "export_id")) parts.push(`${currencies.size} currencies (${list(currencies)})`);
  const out: string[] = [];
  if (parts.length > 0) {
    out.push(
      `This result is built from rows of ${parts.join(" and ")}, and no column keeps them apart: a sum or count over them adds different forecasts. ` +
        `Filter on one (forecast_id = ${quoted([...tabs].slice(0, 1))}${periods.size > 0 ? ` AND time_period = ${quoted([...periods].slice(0, 1))}` : ""}${currencies.size > 1 ? ` AND currency = ${quoted([...currencies].slice(0, 1))}` : ""}), group by them, or use a named metric (clari://schema).`,
    );
  }
  if (!kept("export_id")) {
    for (const [key, ids] of exportsOf) {
      if (ids.size > 1) out.push(`This result reads ${ids.size} exports of ${key} (${list(ids)}): forecast_all, people_all and reports_to_all keep every export. Filter on one export_id, or use forecast, people and reports_to (the newest export only).`);
    }
  }
  return out;
}

/** A latest week read that had begun less than two days before its export was taken (one warning per week, naming its exports). */
function settling(sources: Sources): string[] {
  const byWeek = new Map<string, { e: ExportFacts; ids: string[]; takenAt: number }>();
  for (const e of sources.exports) {
    const { latestWeekStart, finishedAt } = e;
    if (!latestWeekStart || !finishedAt) continue;
    if (!sources.rows.some((r) => r.exportId === e.exportId && r.weekStart === latestWeekStart)) continue;
    const takenAt = Date.parse(finishedAt);
    if (!isSettling(latestWeekStart, takenAt)) continue;
    const key = `${e.timePeriod} ${latestWeekStart} ${e.hygieneWeekStart}`;
    const seen = byWeek.get(key);
    if (seen) seen.ids.push(e.exportId);
    else byWeek.set(key, { e, ids: [e.exportId], takenAt });
  }
  return [...byWeek.values()].map(({ e, ids, takenAt }) => settlingWarning({ ...e, source: `${ids.length > 1 ? "exports" : "export"} ${ids.join(", ")}` }, takenAt));
}

/**
 * The current export of a tab a result read is not the whole story: it was exported for one
 * manager's subtree only, or without a type (quota, forecast_updated, adjustment) that another
 * stored export of the same tab and period has, so that type's columns read empty.
 */
function partialCurrent(sources: Sources): string[] {
  const read = new Set(sources.rows.map((r) => r.exportId).filter((id): id is string => !!id));
  const out: string[] = [];
  for (const e of sources.exports) {
    if (!e.current || !read.has(e.exportId)) continue;
    const what = `${e.forecastId ?? "?"} ${e.timePeriod ?? "?"}`;
    if (e.scopeId) out.push(`Export ${e.exportId}, the one read for ${what}, covers scope ${e.scopeId} only (one manager's part of the hierarchy): no company-wide export of it is stored. Export it without scopeId for everyone.`);
    if (e.types.length === 0) continue;
    const siblings = [...sources.exports, ...sources.siblings].filter((o) => o.exportId !== e.exportId && o.forecastId === e.forecastId && o.timePeriod === e.timePeriod && o.currency === e.currency);
    const missing = [...new Set(siblings.flatMap((o) => o.types))].filter((t) => !e.types.includes(t));
    for (const type of missing) {
      const other = siblings.filter((o) => o.types.includes(type)).at(-1)!;
      out.push(
        `Export ${e.exportId}, the newest of ${what} and the one read, was asked without ${type} (typesToExport ${JSON.stringify(e.types)}), so what ${type} holds reads empty; ` +
          `export ${other.exportId} has it. Export the tab again with typesToExport including "${type}", or read forecast_all WHERE export_id = '${other.exportId}'.`,
      );
    }
  }
  return out;
}

export function sourceWarnings(sources: Sources, columns: readonly string[]): { warnings: string[]; definitions: string[] } {
  const names = new Set(columns.map((c) => c.toLowerCase()));
  const warnings: string[] = [];
  if (!sources.traced) {
    // Part of the query could not be traced: say what might be mixed, never guess from the part that was.
    const pairs = sources.stored.map((s) => `${s.forecastId ?? "?"} ${s.timePeriod ?? "?"}`);
    if (pairs.length > 1) {
      warnings.push(
        `Which tabs and periods this result read could not be traced, and ${pairs.length} are stored (${list(pairs)}): make sure the query filters on one forecast_id and time_period, or use a named metric.`,
      );
    }
  } else warnings.push(...mixing(sources, names), ...settling(sources), ...partialCurrent(sources));
  const definitions = sources.metrics.map(metricDefinition).filter((d): d is string => d !== undefined);
  return { warnings, definitions };
}
