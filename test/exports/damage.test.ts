/**
 * Which downloaded bodies are whole forecast exports: an export with no rows is one (its tables,
 * or its header row, are there); an empty body, an object without an entries table, an array or
 * CSV with neither a header nor a row, and a CSV cut inside its last row are not.
 */
import { describe, expect, it } from "vitest";
import { damageOf } from "../../src/exports/read/damage.js";
import { normaliseForecast } from "../../src/exports/read/normalise-forecast.js";
import { SPEC_HEADER, writeCsv } from "./fixtures.js";

const damage = (body: string) => damageOf(normaliseForecast(Buffer.from(body)));

describe("damageOf", () => {
  it("takes an export with no rows as a whole export", () => {
    expect(damage(`{"entries":[],"users":[],"fields":[],"timePeriods":[],"timeFrames":[]}`)).toBeUndefined();
    expect(damage(`{"users":[],"entries":[]}`)).toBeUndefined();
    expect(damage(JSON.stringify(SPEC_HEADER))).toBeUndefined();
    expect(damage(`${SPEC_HEADER.join(",")}\r\n`)).toBeUndefined();
  });

  it("says why a body is not one", () => {
    expect(damage("")).toEqual({ why: expect.stringMatching(/empty/), notAnExport: true });
    expect(damage("  \n")).toEqual({ why: expect.stringMatching(/empty/), notAnExport: true });
    expect(damage("{}")).toEqual({ why: expect.stringMatching(/no entries table/), notAnExport: true });
    expect(damage(`{"code":"internal_error","message":"Results temporarily unavailable"}`)?.why).toMatch(/no entries table/);
    expect(damage("[]")).toEqual({ why: expect.stringMatching(/no header row and no rows/), notAnExport: true });
    expect(damage("<html><body><h1>502 Bad Gateway</h1></body></html>")).toBeDefined();
    expect(damage(`{"entries":[{"userId":"u1"`)).toEqual({ why: expect.stringMatching(/truncated/), notAnExport: false });
  });

  it("says a CSV cut inside its last row was cut short, and keeps a whole one", () => {
    const full = writeCsv();
    expect(damage(full)).toBeUndefined();
    const body = full.trimEnd();
    expect(damage(body.slice(0, body.lastIndexOf(",")))?.why).toMatch(/cut short|truncated/);
    // A last row of 10 cells: cut short when the body stops there, a row as written (read with a
    // warning) when its line ends.
    const row = ["Jane Doe", "jane@example.com", "0051", "Rep", "Manager", "Q4 FY 2026", "Commit", "3", "2026-10-13", "2026-10-19"].join(",");
    const head = `${SPEC_HEADER.join(",")}\r\n`;
    expect(damage(`${head}${row}`)?.why).toMatch(/ends inside its last row/);
    expect(damage(`${head}${row}\r\n`)).toBeUndefined();
    expect(normaliseForecast(Buffer.from(`${head}${row}\n`)).warnings.join(" ")).toMatch(/fewer columns than the header/);
  });
});
