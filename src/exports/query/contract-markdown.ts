/**
 * The contract as Markdown: what clari://schema serves and what docs/QUERY.md holds below its
 * marker (npm run docs writes it there; a test checks the two are the same).
 */
import { CONTRACT } from "./contract.js";
import { METRIC_ARGUMENTS, METRICS, PERSON_COLUMNS } from "./metrics.js";

export function contractMarkdown(): string {
  const out = [
    "# clari_query tables",
    "",
    "DuckDB SQL over everything this server has stored for its credential. Times are TIMESTAMPTZ in UTC, days DATE, money DOUBLE.",
    "`forecast`, `people` and `reports_to` hold the newest export of each tab, period and currency (a company-wide export before a scoped one); `forecast_all`, `people_all` and `reports_to_all` every export.",
    "",
    "## Named metrics",
    "",
    "Table macros: `SELECT * FROM attainment('net_bookings', '2026_Q4')`. One row per person (haircut: per leader; adjustments: per adjusted call) " +
      `with ${PERSON_COLUMNS.join(", ")}, then the metric's columns. ${METRIC_ARGUMENTS}`,
    "",
    "| metric | definition | columns |",
    "| --- | --- | --- |",
    ...METRICS.map((m) => `| \`${m.signature}\` | ${m.formula} | ${m.columns.join(", ")} |`),
    "",
  ];
  for (const table of CONTRACT) {
    out.push(`## ${table.name}`, "", table.about, "");
    if (table.sameColumnsAs) {
      out.push(`Same columns as \`${table.sameColumnsAs}\`.`, "");
      continue;
    }
    out.push("| column | type | note |", "| --- | --- | --- |");
    for (const col of table.columns) out.push(`| ${col.name} | ${col.type} | ${col.note ?? ""} |`);
    out.push("");
  }
  return out.join("\n");
}
