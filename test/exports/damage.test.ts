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
    expect(damage("")).toMatch(/empty/);
    expect(damage("  \n")).toMatch(/empty/);
    expect(damage("{}")).toMatch(/no entries table/);
    expect(damage(`{"code":"internal_error","message":"Results temporarily unavailable"}`)).toMatch(/no entries table/);
    expect(damage("[]")).toMatch(/no header row and no rows/);
    expect(damage("<html><body><h1>502 Bad Gateway</h1></body></html>")).toBeDefined();
    expect(damage(`{"entries":[{"userId":"u1"`)).toMatch(/truncated/);
  });

  it("says a CSV cut inside its last row was cut short, and keeps a whole one", () => {
    const full = writeCsv();
    expect(damage(full)).toBeUndefined();
    const body = full.trimEnd();
    expect(damage(body.slice(0, body.lastIndexOf(",")))).toMatch(/cut short|truncated/);
  });
});
