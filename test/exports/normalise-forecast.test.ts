import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ForecastTable } from "../../src/exports/table/forecast-table.js";
import {
  detectForecastShape,
  ForecastParseError,
  normaliseForecast,
  normaliseForecastFile,
} from "../../src/exports/read/normalise-forecast.js";
import {
  expectedRows,
  SPEC_HEADER,
  withoutUserId,
  writeCsv,
  writeFlatArray,
  writeTables,
} from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "clari-exports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileOf(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function allRows(t: ForecastTable) {
  return [...t.rows()];
}

const SHUFFLED_HEADER = [
  "Data Value",
  "Field",
  "User",
  "Week",
  "Data Type",
  "Email",
  "Role",
  "Timeframe",
  "End Day",
  "Parent Role",
  "CRM User ID",
  "Start Day",
];

describe("normaliseForecast: the three shapes give the same rows", () => {
  const truth = expectedRows();

  it("JSON tables (lookup tables first) -> the truth, userIds included", () => {
    const t = normaliseForecast(writeTables());
    expect(t.shape).toBe("tables");
    expect(t.warnings).toEqual([]);
    expect(allRows(t)).toEqual(truth);
  });

  it("JSON tables with entries before the lookup tables", () => {
    const t = normaliseForecast(Buffer.from(writeTables({ entriesFirst: true, pretty: true })));
    expect(allRows(t)).toEqual(truth);
  });

  it("flat array of strings", () => {
    const t = normaliseForecast(writeFlatArray());
    expect(t.shape).toBe("flat_array");
    expect(t.warnings).toEqual([]);
    expect(withoutUserId(allRows(t))).toEqual(withoutUserId(truth));
  });

  it("CSV", () => {
    const t = normaliseForecast(writeCsv());
    expect(t.shape).toBe("csv");
    expect(t.warnings).toEqual([]);
    expect(withoutUserId(allRows(t))).toEqual(withoutUserId(truth));
  });

  it("a header in another column order is mapped by name (flat array and CSV)", () => {
    const a = normaliseForecast(writeFlatArray(SHUFFLED_HEADER));
    const c = normaliseForecast(writeCsv(SHUFFLED_HEADER));
    expect(withoutUserId(allRows(a))).toEqual(withoutUserId(truth));
    expect(withoutUserId(allRows(c))).toEqual(withoutUserId(truth));
    expect(a.warnings).toEqual([]);
  });

  it("streaming from a file equals in-memory, for every shape", async () => {
    for (const [name, content] of [
      ["t.json", writeTables({ entriesFirst: true })],
      ["f.json", writeFlatArray()],
      ["c.csv", writeCsv()],
    ] as const) {
      const fromFile = await normaliseForecastFile(fileOf(name, content));
      const inMemory = normaliseForecast(content);
      expect(allRows(fromFile)).toEqual(allRows(inMemory));
      expect(fromFile.shape).toBe(inMemory.shape);
      expect(fromFile.length).toBe(truth.length);
    }
  });

  it("tolerates a UTF-8 BOM and leading whitespace", async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`\n  ${writeFlatArray()}`)]);
    expect(normaliseForecast(bom).length).toBe(truth.length);
    expect((await normaliseForecastFile(fileOf("bom.json", bom))).length).toBe(truth.length);
    const csvBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(writeCsv())]);
    expect(normaliseForecast(csvBom).length).toBe(truth.length);
  });

  it("accepts an array of row arrays and an array of row objects", () => {
    const recs = JSON.parse(writeFlatArray()) as string[];
    const rowsOfArrays: string[][] = [];
    for (let i = 0; i < recs.length; i += 12) rowsOfArrays.push(recs.slice(i, i + 12));
    const a = normaliseForecast(JSON.stringify(rowsOfArrays));
    expect(withoutUserId(allRows(a))).toEqual(withoutUserId(truth));
    const header = rowsOfArrays[0] as string[];
    const objects = rowsOfArrays.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    const o = normaliseForecast(JSON.stringify(objects));
    expect(withoutUserId(allRows(o))).toEqual(withoutUserId(truth));
  });
});

describe("the spec's example results array", () => {
  // Exactly as in clari-openapi.yaml: note the first row has no Data Value.
  const SPEC_EXAMPLE = [
    ...SPEC_HEADER,
    "Jain", "name@s-clari.com", "005110000069tRpAAI", "Sales Rep - East", "CEO", "July FY 2023", "Monthly Commit", "0", "06/30/2023", "06/30/2023", "Forecast Value",
    "Jain", "name@s-clari.com", "005110000069tRpAAI", "Sales Rep - East", "CEO", "July FY 2023", "Monthly Commit", "0", "06/30/2023", "06/30/2023", "Forecast Updated", "No",
    "Clari QA10", "manager@s-clari.com", "005d0000001rfYSAAY", "CEO", "", "July FY 2023", "Monthly Commit", "0", "06/30/2023", "06/30/2023", "Forecast Value", "$3,000,190.00",
    "Clari QA10", "manager@s-clari.com", "005d0000001rfYSAAY", "CEO", "", "July FY 2023", "Monthly Commit", "0", "06/30/2023", "06/30/2023", "Forecast Updated", "No",
  ];

  it("reads four rows, realigning after the row that lacks its value", () => {
    const t = normaliseForecast(JSON.stringify(SPEC_EXAMPLE));
    const rows = allRows(t);
    expect(rows).toHaveLength(4);
    const base = {
      timePeriod: "July FY 2023",
      timePeriodId: "",
      field: "Monthly Commit",
      week: 0,
      weekStart: "2023-06-30",
      weekEnd: "2023-06-30",
    };
    const jain = { user: "Jain", email: "name@s-clari.com", crmUserId: "005110000069tRpAAI", userId: "", role: "Sales Rep - East", parentRole: "CEO" };
    const qa = { user: "Clari QA10", email: "manager@s-clari.com", crmUserId: "005d0000001rfYSAAY", userId: "", role: "CEO", parentRole: "" };
    expect(rows).toEqual([
      { ...jain, ...base, dataType: "forecast", value: null, currency: "" },
      { ...jain, ...base, dataType: "forecast_updated", value: false, currency: "" },
      { ...qa, ...base, dataType: "forecast", value: 3000190, currency: "$" },
      { ...qa, ...base, dataType: "forecast_updated", value: false, currency: "" },
    ]);
    expect(t.warnings.join(" ")).toMatch(/no Data Value/);
  });
});

describe("truncation and errors", () => {
  it("a flat array cut inside its last row keeps the complete rows and warns", () => {
    const full = writeFlatArray();
    const cut = full.slice(0, full.length - 40);
    const t = normaliseForecast(cut);
    expect(t.length).toBe(expectedRows().length - 1);
    expect(t.warnings.join(" ")).toMatch(/truncated|partial/);
  });

  it("a flat array with a trailing partial row (valid JSON) ignores it with a warning", () => {
    const arr = JSON.parse(writeFlatArray()) as string[];
    const t = normaliseForecast(JSON.stringify([...arr, "Jain", "name@s-clari.com", "005"]));
    expect(t.length).toBe(expectedRows().length);
    expect(t.warnings.join(" ")).toMatch(/trailing partial row/);
  });

  it("a CSV with a trailing partial row ignores it with a warning", async () => {
    const csv = `${writeCsv()}Jain,name@s-clari.com,005110000069tRpAAI,Sales Rep`;
    const t = normaliseForecast(csv);
    expect(t.length).toBe(expectedRows().length);
    expect(t.warnings.join(" ")).toMatch(/trailing partial row/);
    const f = await normaliseForecastFile(fileOf("partial.csv", csv));
    expect(allRows(f)).toEqual(allRows(t));
    expect(f.warnings).toEqual(t.warnings);
  });

  it("a CSV cut inside a quoted value keeps the complete rows and warns", () => {
    const csv = writeCsv();
    const cut = csv.slice(0, csv.lastIndexOf('"$') + 4);
    const t = normaliseForecast(cut);
    expect(t.length).toBe(expectedRows().length - 1);
    expect(t.warnings.join(" ")).toMatch(/truncated/);
  });

  it("a truncated tables file keeps the entries read and says so", () => {
    const s = writeTables();
    const t = normaliseForecast(s.slice(0, Math.floor(s.length * 0.6)));
    expect(t.length).toBeGreaterThan(0);
    expect(t.length).toBeLessThan(expectedRows().length);
    expect(t.warnings.join(" ")).toMatch(/truncated/);
    expect(t.row(0).user).not.toBe("");
  });

  it("empty input gives an empty table with a warning", () => {
    const t = normaliseForecast("  \n");
    expect(t.length).toBe(0);
    expect(t.warnings).toEqual(["The export is empty."]);
  });

  it("malformed JSON throws ForecastParseError", () => {
    expect(() => normaliseForecast('{"entries": [}')).toThrow(ForecastParseError);
  });

  it("detects the shape from the first non-whitespace byte", () => {
    expect(detectForecastShape(" \n{")).toBe("tables");
    expect(detectForecastShape(Buffer.from("\t[1]"))).toBe("flat_array");
    expect(detectForecastShape("User,Email")).toBe("csv");
    expect(detectForecastShape("   ")).toBe("empty");
  });
});

describe("tables shape details", () => {
  it("ranks weeks by the timeFrames' start dates, including a week that starts before the quarter", () => {
    const t = normaliseForecast(writeTables());
    const weeks = new Map<string, number>();
    for (const r of t.rows()) weeks.set(r.weekStart, r.week);
    expect([...weeks.entries()].sort()).toEqual([
      ["2026-09-28", 1],
      ["2026-10-05", 2],
      ["2026-10-12", 3],
    ]);
  });

  it("derives names from parentHierarchyId when parentHierarchyName is absent, and falls back to ids", () => {
    const doc = {
      entries: [
        { userId: "u1", fieldId: "c", timePeriodId: "2026_Q3", timeFrameId: "TF:2026-07-06", forecastValue: "$1,000.00" },
        { userId: "u2", fieldId: "c", timePeriodId: "2026_Q3", timeFrameId: "TF:2026-07-06", forecastValue: 5, isUpdated: "Yes" },
      ],
      users: [
        { userId: "u1", name: "Rep", hierarchyId: "h2", hierarchyName: "Rep Role", parentHierarchyId: "h1" },
        { userId: "u0", name: "Boss", hierarchyId: "h1", hierarchyName: "Boss Role" },
      ],
      timePeriods: [],
      timeFrames: [],
    };
    const t = normaliseForecast(JSON.stringify(doc));
    const rows = allRows(t);
    expect(rows[0]).toMatchObject({
      user: "Rep",
      role: "Rep Role",
      parentRole: "Boss Role",
      field: "c",
      timePeriod: "2026_Q3",
      timePeriodId: "2026_Q3",
      weekStart: "2026-07-06",
      weekEnd: "2026-07-12",
      week: 1,
      value: 1000,
      currency: "$",
    });
    expect(rows[1]).toMatchObject({ user: "u2", value: 5 });
    expect(rows[2]).toMatchObject({ user: "u2", dataType: "forecast_updated", value: true });
    expect(t.warnings.join(" ")).toMatch(/missing from the users table/);
    expect(t.warnings.join(" ")).toMatch(/missing from the fields table/);
  });
});

describe("larger inputs", () => {
  it("keeps multi-byte names intact across chunk boundaries (string slices and file chunks)", async () => {
    const header = SPEC_HEADER;
    const cells: string[] = [...header];
    const n = 12_000; // > 1 MiB of text, so the in-memory reader slices it, and many 64 KiB file chunks
    for (let i = 0; i < n; i++) {
      cells.push(`José 🚀 Ñandú ${i}`, `j${i}@example.com`, "005", "Représentant - Est", "Directeur 東京", "Q1 2027", "Commit", "1", "01/04/2027", "01/10/2027", "Forecast Value", `€${i},50`);
    }
    const text = JSON.stringify(cells);
    expect(text.length).toBeGreaterThan(1 << 20);
    const mem = normaliseForecast(text);
    const file = await normaliseForecastFile(fileOf("utf8.json", text));
    for (const t of [mem, file]) {
      expect(t.length).toBe(n);
      expect(t.warnings).toEqual([]);
      for (const i of [0, 4321, n - 1]) {
        expect(t.row(i)).toMatchObject({
          user: `José 🚀 Ñandú ${i}`,
          parentRole: "Directeur 東京",
          timePeriodId: "2027_Q1",
          value: i + 0.5,
          currency: "€",
        });
      }
    }
  });

  it("streams a 100k-row CSV and flat array with a compact columnar footprint", async () => {
    const rows = 100_000;
    const header = SPEC_HEADER.join(",");
    const lines = [header];
    const flat: string[] = [...SPEC_HEADER];
    let expectedSum = 0;
    for (let i = 0; i < rows; i++) {
      const u = i % 500;
      const week = (i % 13) + 1;
      const isValue = i % 2 === 0;
      const value = isValue ? (i % 1000) * 10 + 0.25 : 0;
      if (isValue && week === 13) expectedSum += value;
      const rec = [
        `User ${u}`, `u${u}@x.com`, `005${u}`, `Role ${u}`, `Role ${Math.floor(u / 10)}`, "Q4 2026", "Commit", String(week),
        "10/05/2026", "10/11/2026", isValue ? "Forecast Value" : "Forecast Updated",
        isValue ? `$${value.toLocaleString("en-US", { minimumFractionDigits: 2 })}` : i % 3 ? "Yes" : "No",
      ];
      lines.push(rec.map((c) => (c.includes(",") ? `"${c}"` : c)).join(","));
      flat.push(...rec);
    }
    const csvPath = fileOf("big.csv", `${lines.join("\n")}\n`);
    const flatText = JSON.stringify(flat);
    const flatPath = fileOf("big.json", flatText);
    for (const path of [csvPath, flatPath]) {
      const t = await normaliseForecastFile(path);
      expect(t.length).toBe(rows);
      expect(t.warnings).toEqual([]);
      // 36 bytes a row at most, with spare capacity trimmed.
      expect(t.capacity).toBeLessThanOrEqual(Math.ceil(rows * 1.25));
      expect(t.capacity * 36).toBeLessThan(flatText.length / 2);
      const c = t.columns;
      let sum = 0;
      const forecast = t.dataTypes.lookup("forecast");
      for (let i = 0; i < t.length; i++) if (c.week[i] === 13 && c.dataType[i] === forecast) sum += c.value[i] as number;
      expect(sum).toBeCloseTo(expectedSum, 2);
    }
  });
});

describe("ForecastTable API", () => {
  const t = normaliseForecast(writeTables());
  it("gives rows as plain objects, cells by column, and iteration helpers", () => {
    const truth = expectedRows();
    expect(t.length).toBe(truth.length);
    expect(t.row(5)).toEqual(truth[5]);
    expect(t.slice(10, 3)).toEqual(truth.slice(10, 13));
    expect([...t.rows(0, 2)]).toEqual(truth.slice(0, 2));
    expect([...t]).toHaveLength(truth.length);
    expect(t.get("user", 5)).toBe(truth[5]?.user);
    expect(t.get("timePeriodId", 5)).toBe("2026_Q4");
    expect(t.get("weekStart", 5)).toBe(truth[5]?.weekStart);
    expect(t.valueAt(5)).toEqual(truth[5]?.value);
    expect(() => t.row(t.length)).toThrow(RangeError);
    const dt = t.dataTypes.lookup("forecast_updated") as number;
    expect(t.isBoolean(dt)).toBe(true);
    expect(t.isBoolean(t.dataTypes.lookup("forecast") as number)).toBe(false);
  });
});

describe("cell variants", () => {
  it("tolerates data type and week variants, and warns about unknown data types and unreadable values", () => {
    const csv = [
      "user,email,crm user id,role,parent role,timeframe,field,week,start day,end day,data type,data value",
      "Ann,a@x.com,005A,Rep,Boss,FY2026 Q4,Quota,Week 2,2026-10-05,2026-10-11,Quota,\"USD 1,000\"",
      "Ann,a@x.com,005A,Rep,Boss,FY2026 Q4,Commit,W2,10/05/2026,10/11/2026,forecast,(250.5)",
      "Ann,a@x.com,005A,Rep,Boss,FY2026 Q4,Commit,2,10/05/2026,10/11/2026,FORECAST UPDATED,true",
      "Ann,a@x.com,005A,Rep,Boss,FY2026 Q4,Commit,2,10/05/2026,10/11/2026,Pipeline Coverage,12.5%",
      "Ann,a@x.com,005A,Rep,Boss,FY2026 Q4,Commit,2,10/05/2026,10/11/2026,CRM Total,n/a",
      "Ann,a@x.com,005A,Rep,Boss,FY2026 Q4,Commit,2,10/05/2026,10/11/2026,CRM Closed,lots",
    ].join("\n");
    const t = normaliseForecast(csv);
    expect([...t.rows()].map((r) => [r.timePeriodId, r.week, r.weekStart, r.dataType, r.value, r.currency])).toEqual([
      ["2026_Q4", 2, "2026-10-05", "quota", 1000, "USD"],
      ["2026_Q4", 2, "2026-10-05", "forecast", -250.5, ""],
      ["2026_Q4", 2, "2026-10-05", "forecast_updated", true, ""],
      ["2026_Q4", 2, "2026-10-05", "pipeline_coverage", 12.5, ""],
      ["2026_Q4", 2, "2026-10-05", "crm_total", null, ""],
      ["2026_Q4", 2, "2026-10-05", "crm_closed", null, ""],
    ]);
    const w = t.warnings.join(" ");
    expect(w).toMatch(/Unrecognised Data Type values kept as-is: Pipeline Coverage/);
    expect(w).toMatch(/1 Data Value cell\(s\) could not be read/);
  });
});
