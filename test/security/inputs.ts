/**
 * Hostile values shared by the security suites: ids that try to leave their path segment, header
 * injection, control characters, unicode oddities, wrong types and huge strings; plus a valid
 * argument object for every tool, the starting point for mutations.
 */
import fc from "fast-check";

/** Strings that try to address another route, inject a header or confuse a parser. */
export const INJECTION_IDS: readonly string[] = [
  "../admin/limits",
  "..",
  ".",
  "a/b",
  "/admin/limits",
  "%2F..%2Fadmin%2Flimits",
  "..%2F..%2Fadmin%2Flimits",
  "%2e%2e",
  "%2e%2e%2fadmin%2flimits",
  "job?x=1",
  "?limit=1",
  "job#frag",
  "#",
  "job\r\nX-Injected: 1",
  "job\nX-Injected: 1",
  "job\r",
  "job\u0000",
  "\u0000",
  "job\u2028x",
  "job%0d%0aX-Injected:%201",
  "job results",
  "job\\..\\admin",
  "job;admin",
  "job&oppId=1",
  "ｊｏｂ／ａｄｍｉｎ",
  "\u202eboj",
  "😀",
  "",
];

/** Values that are wrong for almost any field. */
export const WRONG_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  "",
  " ",
  [],
  {},
  [null],
  [{}],
  { $ne: null },
  "null",
  "undefined",
  "__proto__",
  "constructor",
  "0",
  "-1",
  "true",
  "\ud800",
  "\udfff\ud800",
  "x".repeat(10_000),
  "y".repeat(200_000),
  ...INJECTION_IDS,
];

/** A hostile value: a known bad one, random unicode, or random JSON. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WRONG_VALUES) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.nat({ max: 300_000 }).map((n) => "A".repeat(n)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

export const JOB_ID = "0123456789abcdef01234567";

/**
 * A valid argument object per tool (job-creating tools with waitSeconds 0 so a valid input stays
 * fast). The fuzz suite checks that every tool in the catalogue has one.
 */
export const VALID_ARGS: Record<string, Record<string, unknown>> = {
  clari_export_forecast: { forecastId: "net_bookings", timePeriod: "2026_Q4", typesToExport: ["forecast", "quota"], scopeId: "1905::MGR", currency: "USD", waitSeconds: 0 },
  clari_query: { sql: "SELECT field, sum(value) FROM forecast GROUP BY field", limit: 10 },
  clari_get_forecast: { forecastId: "net_bookings", timePeriod: "2026_Q4", typesToExport: ["crm_total"] },
  clari_wait_for_job: { jobId: JOB_ID, kind: "export", waitSeconds: 0 },
  clari_get_export_job: { jobId: JOB_ID },
  clari_get_export_results: { jobId: JOB_ID, page: 1, pageSize: 10 },
  clari_list_export_jobs: { status: "DONE", limit: 5 },
  clari_cancel_export_job: { jobId: JOB_ID },
  clari_get_limits: {},
  clari_export_audit_events: { actorId: "123", sessionType: "WEB", dateFrom: "2026-01-01", dateTo: "2026-01-02T00:00:00Z", event: "api.accessed", waitSeconds: 0 },
  clari_list_audit_events: { limit: 10, sessionId: "123e4567-e89b-42d3-a456-426614174000", event: "forecast.updated" },
  clari_get_opportunities: { oppIds: ["006000000000001AAA"], mode: "OPPORTUNITY_MODE_ID" },
  clari_export_activity: { activityTypes: ["MEETING"], startDate: "2026-01-01T00:00:00Z", endDate: "2026-01-08T00:00:00Z", waitSeconds: 0 },
  clari_ingest_bulk: { entity: "account", datasets: [{ sourceEntity: "Account", records: [{ id: "001A", createdAt: 1, updatedAt: 2 }] }], mode: "incremental", waitSeconds: 0 },
  clari_ingest_records: { entity: "account", datasets: [{ sourceEntity: "Account", records: [{ id: "001A", createdAt: 1, updatedAt: 2, tier: "Gold" }] }], isLastBatch: false },
  clari_get_ingest_job: { jobId: JOB_ID },
  clari_add_picklist_values: { entity: "account", fieldName: "Tier", fieldType: "picklist", values: ["Gold"] },
  clari_get_picklist_values: { entity: "account", fieldNames: ["Tier"] },
};

type Path = Array<string | number>;

/** Every path into a JSON value (objects and arrays, leaves and inner nodes). */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i], ...pathsOf(v, [...prefix, i]));
    });
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
  }
  return out;
}

/** A deep copy with the value at `path` replaced (or removed when `value` is REMOVE). */
export const REMOVE = Symbol("remove");
export function withValueAt(root: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === REMOVE) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

/** JSON round trip: what a real transport would deliver. */
export const overTheWire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
