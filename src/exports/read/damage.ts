/** When a forecast read from a download is not a whole export: the readers' own warnings say so. */

/** What the readers warn when what they read is not a whole forecast export (see damageOf). */
export const NOT_AN_EXPORT = {
  empty: "The export is empty.",
  noEntries: "The export has no entries table.",
  noHeader: "No header row found: assumed the standard 12 columns in the spec's order.",
  csvCutRow: "Ignored a trailing partial row (fewer columns than the header).",
} as const;

/**
 * Why a downloaded forecast is not a whole export, if it is not: cut short (JSON or a CSV quote
 * left open, a CSV whose last row stops early), empty, or no export at all (no entries table; no
 * header row and no rows, as an error object or a proxy's HTML page give). Such a download is
 * never kept, so asking again fetches it again instead of answering from it for 30 days.
 */
export function damageOf(table: { readonly warnings: readonly string[]; readonly length: number }): Damage | undefined {
  const { warnings } = table;
  const truncated = warnings.find((w) => /truncated/i.test(w));
  if (truncated) return { why: truncated, notAnExport: false };
  if (warnings.includes(NOT_AN_EXPORT.empty)) return { why: "the body was empty", notAnExport: true };
  if (warnings.includes(NOT_AN_EXPORT.noEntries)) return { why: "the body is not a forecast export: it has no entries table", notAnExport: true };
  if (table.length === 0 && warnings.includes(NOT_AN_EXPORT.noHeader)) return { why: "the body is not a forecast export: no header row and no rows", notAnExport: true };
  if (warnings.includes(NOT_AN_EXPORT.csvCutRow)) return { why: "the file ends inside its last row (cut short?)", notAnExport: false };
  return undefined;
}

/**
 * Why a body is not kept. `notAnExport`: nothing of an export was in it (fetching the same job
 * again may give the same); else it was cut short (a transfer that fetching again may mend).
 */
export interface Damage {
  why: string;
  notAnExport: boolean;
}
