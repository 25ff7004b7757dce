/**
 * The batched JSON reader gives exactly the rows of `JSON.parse` of the whole file, on the
 * sandbox's own export files fetched over loopback, whatever the chunk boundaries; a single
 * oversized entry is a clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlatArrayReader } from "../../src/exports/read/flat-array-reader.js";
import { TablesReader } from "../../src/exports/read/forecast-tables.js";
import { JsonBatchSplitter, JsonEntryTooLargeError } from "../../src/exports/read/json-batches.js";
import { ForecastParseError, normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import { ForecastTable } from "../../src/exports/table/forecast-table.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";

let sb: Sandbox;
const files: Record<string, Buffer> = {};

async function exportFile(forecastId: string, body: Record<string, unknown>): Promise<Buffer> {
  const headers = { apikey: "sandbox", "content-type": "application/json" };
  const queued = await fetch(`${sb.v4Url}/export/forecast/${forecastId}`, { method: "POST", headers, body: JSON.stringify(body) });
  expect(queued.status).toBe(200);
  const { jobId } = (await queued.json()) as { jobId: string };
  sb.finishJob(jobId);
  const res = await fetch(`${sb.v4Url}/export/jobs/${jobId}/results`, { headers });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** Names that hold every character the scan must not mistake for structure, and multi-byte UTF-8. */
const TRICKY = ['A "quoted" [name] {x}', "back\\slash \\\\ \\\" ]}", "Zoë Ångström — 東京 😀", "comma, colon: ]],{{", "tab\tnew\nline \u0000 \u2028"];

function tricky(tables: Buffer): Buffer {
  const doc = JSON.parse(tables.toString("utf8")) as { users: Array<Record<string, unknown>>; fields: Array<Record<string, unknown>> };
  doc.users.forEach((u, i) => {
    u.name = `${TRICKY[i % TRICKY.length]} ${i}`;
    u.hierarchyName = `${TRICKY[(i + 2) % TRICKY.length]} role ${i}`;
  });
  doc.fields.forEach((f, i) => (f.fieldName = `${TRICKY[(i + 3) % TRICKY.length]}`));
  // Escaped forms too: \u sequences and escaped slashes in the raw text.
  return Buffer.from(JSON.stringify(doc, null, 1).replace(/ö/g, "\\u00f6").replace(/\//g, "\\/"), "utf8");
}

beforeAll(async () => {
  sb = await startSandbox({ seed: 11, users: 200 });
  const body = { typesToExport: ["forecast", "quota", "forecast_updated", "adjustment"] };
  files.tables = await exportFile("net_arr", body);
  files.flat = await exportFile("net_arr", { ...body, resultShape: "flat", currency: "EUR" });
  files.tricky = tricky(files.tables);
});
afterAll(async () => sb?.close());

/** The truth: the whole file through JSON.parse, handed to the same row builder. */
function viaJsonParse(bytes: Buffer): ForecastTable {
  const table = new ForecastTable();
  const doc = JSON.parse(bytes.toString("utf8")) as unknown;
  if (Array.isArray(doc)) {
    const reader = new FlatArrayReader(table);
    reader.accept(doc);
    reader.finish(true);
  } else {
    const reader = new TablesReader(table);
    for (const [name, member] of Object.entries(doc as Record<string, unknown>)) {
      if (Array.isArray(member)) reader.accept(name, member);
      else if (typeof member === "object" && member !== null) reader.accept(name, Object.values(member));
    }
    reader.finish(true);
  }
  table.compact();
  return table;
}

/** The streaming reader fed chunks of 1, 2, ... 7 bytes in turn. */
function inTinyChunks(bytes: Buffer): ForecastTable {
  const table = new ForecastTable();
  const reader = bytes.subarray(0, 1).toString() === "[" ? new FlatArrayReader(table) : new TablesReader(table);
  for (let i = 0, size = 1; i < bytes.length; i += size, size = (size % 7) + 1) reader.write(bytes.subarray(i, i + size));
  reader.end();
  table.compact();
  return table;
}

describe("batched JSON reader: the rows of JSON.parse of the whole file", () => {
  for (const name of ["tables", "flat", "tricky"]) {
    it(`${name}: whole, in 1 MB slices and in 1..7-byte chunks`, () => {
      const bytes = files[name] as Buffer;
      const truth = viaJsonParse(bytes);
      const rows = [...truth.rows()];
      expect(rows.length).toBeGreaterThan(1000);
      if (name === "tricky") expect(rows.some((r) => r.user.startsWith(TRICKY[2] as string))).toBe(true);
      const sliced = normaliseForecast(bytes);
      expect([...sliced.rows()]).toEqual(rows);
      expect(sliced.warnings).toEqual(truth.warnings);
      const tiny = inTinyChunks(bytes);
      expect([...tiny.rows()]).toEqual(rows);
      expect(tiny.warnings).toEqual(truth.warnings);
    });
  }

  it("a file cut anywhere keeps the whole entries before the cut and says it was truncated", () => {
    const bytes = files.tables as Buffer;
    const full = viaJsonParse(bytes).length;
    for (const at of [0.1, 0.5, 0.93].map((f) => Math.floor(bytes.length * f))) {
      const table = normaliseForecast(bytes.subarray(0, at));
      expect(table.warnings.some((w) => /truncated/.test(w))).toBe(true);
      expect(table.length).toBeLessThanOrEqual(full);
      if (at < bytes.length / 2) expect(table.length).toBeLessThan(full);
    }
  });

  it("bad JSON is a ForecastParseError, not a partial table", () => {
    for (const bad of ['{"entries": [{"userId": 1} {"userId": 2}]}', '{"entries": [1,,2]}', '{"entries": [1,]}', '["a" "b"]', '{"entries" [1]}', "[1}"]) {
      expect(() => normaliseForecast(bad), bad).toThrow(ForecastParseError);
    }
  });
});

describe("batched JSON reader: bounds", () => {
  it("one entry larger than the limit is refused with a clear error, before it is held whole", () => {
    const seen: unknown[] = [];
    const splitter = new JsonBatchSplitter("object", (_n, v) => seen.push(...v), { maxEntryBytes: 4096, batchBytes: 1024 });
    splitter.write(Buffer.from('{"entries": [{"a": 1}, {"b": "'));
    const big = Buffer.alloc(1024, 0x61);
    let error: unknown;
    try {
      for (let i = 0; i < 8; i++) splitter.write(big);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsonEntryTooLargeError);
    expect((error as Error).message).toMatch(/one entry of the JSON file is larger than/);
  });

  it("batches hand entries on as they complete, in order", () => {
    const seen: Array<[string | undefined, unknown]> = [];
    const splitter = new JsonBatchSplitter("object", (n, v) => v.forEach((x) => seen.push([n, x])), { batchBytes: 8 });
    splitter.write(Buffer.from('{"entries": [{"i": 1}, {"i": 2}, {"i": "]3"}], "meta": {"x": {"y": 1}}, "scalar": 5, "users": [{"u": "\\"}"}]}'));
    splitter.end();
    expect(splitter.complete).toBe(true);
    expect(seen).toEqual([
      ["entries", { i: 1 }],
      ["entries", { i: 2 }],
      ["entries", { i: "]3" }],
      ["meta", { y: 1 }],
      ["users", { u: '"}' }],
    ]);
  });
});
