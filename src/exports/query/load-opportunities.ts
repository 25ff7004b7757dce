/**
 * Opportunity lookups (clari_get_opportunities) into `opportunities` (the latest lookup of each)
 * and `opportunity_fields` (every field of every lookup). Rebuilt whole when lookups change.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { Opportunity } from "../../client/schemas.js";
import { parseClariValue } from "../read/values.js";
import type { Observed } from "../store/observations.js";
import { appendRows, day, text, ts } from "./append.js";

type Field = Opportunity["fields"][number];

function asText(v: unknown): string | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** The field whose id ends with one of `ids` (".amount") or whose alias is one of `aliases`. */
function fieldOf(fields: readonly Field[], ids: readonly string[], aliases: readonly string[]): Field | undefined {
  return (
    fields.find((f) => ids.some((id) => f.id === id || (f.id ?? "").endsWith(`.${id}`))) ??
    fields.find((f) => aliases.some((a) => (f.alias ?? "").toLowerCase() === a.toLowerCase()))
  );
}

function opportunityRow(o: Opportunity, fetchedAt: number): DuckDBValue[] {
  const f = o.fields;
  const loose = o as Record<string, unknown>;
  const amount = parseClariValue(fieldOf(f, ["amount"], ["Amount"])?.value).value;
  const score = o.crmScore?.score;
  return [
    o.oppId || o.id || null,
    text(asText(loose.name) ?? asText(fieldOf(f, ["name"], ["Opportunity Name", "Name"])?.value)),
    text(asText(fieldOf(f, ["accountName"], ["Account Name", "Account"])?.value)),
    text(asText(fieldOf(f, ["stageName", "stage"], ["Stage"])?.value)),
    typeof amount === "number" ? amount : null,
    day(fieldOf(f, ["closeDate"], ["Close Date"])?.value),
    text(asText(fieldOf(f, ["ownerId", "owner"], ["Opportunity Owner", "Owner"])?.value)),
    typeof score === "number" && Number.isFinite(score) ? score : null,
    text(o.crmScore?.message),
    ts(fetchedAt),
  ];
}

export async function loadOpportunities(con: DuckDBConnection, lookups: readonly Observed<Opportunity[]>[]): Promise<number> {
  await con.run("DELETE FROM opportunities");
  await con.run("DELETE FROM opportunity_fields");
  const latest = new Map<string, { o: Opportunity; at: number }>();
  const fields: DuckDBValue[][] = [];
  for (const lookup of lookups) {
    for (const o of lookup.data) {
      const id = o.oppId || o.id;
      if (!id) continue;
      const seen = latest.get(id);
      if (!seen || seen.at <= lookup.fetchedAt) latest.set(id, { o, at: lookup.fetchedAt });
      for (const field of o.fields) fields.push([id, ts(lookup.fetchedAt), text(field.id), text(field.alias), asText(field.value), text(field.trend)]);
    }
  }
  await appendRows(con, "opportunity_fields", fields);
  return appendRows(con, "opportunities", [...latest.values()].map(({ o, at }) => opportunityRow(o, at)));
}
