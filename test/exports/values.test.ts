import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalDataType,
  parseClariValue,
  parseTimePeriodLabel,
  toIsoDate,
  toIsoTimestamp,
} from "../../src/exports/read/values.js";

const v = (s: unknown) => parseClariValue(s).value;
const cur = (s: unknown) => parseClariValue(s).currency;

describe("parseClariValue", () => {
  it("reads money as Clari formats it", () => {
    expect(v("$3,000,190.00")).toBe(3000190);
    expect(cur("$3,000,190.00")).toBe("$");
    expect(v("(1,200.50)")).toBe(-1200.5);
    expect(v("($1,200.50)")).toBe(-1200.5);
    expect(cur("($1,200.50)")).toBe("$");
    expect(v("$(1,200.50)")).toBe(-1200.5);
    expect(v("-$5.00")).toBe(-5);
    expect(v("$-5.00")).toBe(-5);
    expect(v("1,200.50-")).toBe(-1200.5);
    expect(v("−42")).toBe(-42);
    expect(v("0")).toBe(0);
    expect(v("$0.00")).toBe(0);
    expect(Object.is(v("-0"), 0) || v("-0") === 0).toBe(true);
  });

  it("reads European and other currency formats when unambiguous", () => {
    expect(v("€1.234,56")).toBe(1234.56);
    expect(cur("€1.234,56")).toBe("€");
    expect(v("1.234,56 €")).toBe(1234.56);
    expect(cur("1.234,56 €")).toBe("€");
    expect(v("1 234,56")).toBe(1234.56);
    expect(v("1\u202f234,56\u00a0€")).toBe(1234.56);
    expect(v("1.234.567")).toBe(1234567);
    expect(v("0,5")).toBe(0.5);
    expect(v("1234,5")).toBe(1234.5);
    expect(v("£1,000.25")).toBe(1000.25);
    expect(cur("£1,000.25")).toBe("£");
    expect(v("¥1,235")).toBe(1235);
    expect(v("￥1,235")).toBe(1235);
    expect(v("USD 1,000")).toBe(1000);
    expect(cur("USD 1,000")).toBe("USD");
    expect(v("1,000 EUR")).toBe(1000);
    expect(cur("1,000 EUR")).toBe("EUR");
    expect(v("CHF 99.90")).toBe(99.9);
    expect(v("US$12")).toBe(12);
    expect(cur("US$12")).toBe("US$");
    // A lone comma followed by three digits is a thousands separator.
    expect(v("1,234")).toBe(1234);
  });

  it("reads percents, magnitudes and plain numbers", () => {
    expect(parseClariValue("12.5%")).toEqual({ value: 12.5, currency: null, percent: true, invalid: false });
    expect(v("-3%")).toBe(-3);
    expect(v("$1.2M")).toBe(1200000);
    expect(v("500k")).toBe(500000);
    expect(v("42")).toBe(42);
    expect(v("-42.125")).toBe(-42.125);
    expect(v(" 7 ")).toBe(7);
    expect(v("1.5e3")).toBe(1500);
    expect(v(12.5)).toBe(12.5);
    expect(v(Number.NaN)).toBeNull();
  });

  it("reads booleans and empties", () => {
    for (const s of ["Yes", "yes", "TRUE", "true", true]) expect(v(s)).toBe(true);
    for (const s of ["No", "no", "FALSE", "false", false]) expect(v(s)).toBe(false);
    for (const s of ["", "  ", "-", "N/A", "n/a", "null", null, undefined]) {
      expect(parseClariValue(s)).toEqual({ value: null, currency: null, percent: false, invalid: false });
    }
  });

  it("flags text it cannot read", () => {
    expect(parseClariValue("abc")).toMatchObject({ value: null, invalid: true });
    expect(parseClariValue("1.2.3,4,5")).toMatchObject({ value: null, invalid: true });
    expect(parseClariValue({})).toMatchObject({ value: null, invalid: true });
  });

  it("round-trips formatted numbers (property)", () => {
    const cents = fc.integer({ min: -99_999_999_999, max: 99_999_999_999 }).map((c) => c / 100);
    const formats: Array<[string, Intl.NumberFormatOptions]> = [
      ["en-US", { style: "currency", currency: "USD" }],
      ["en-US", { style: "currency", currency: "USD", currencySign: "accounting" }],
      ["de-DE", { style: "currency", currency: "EUR" }],
      ["fr-FR", { style: "currency", currency: "EUR" }],
      ["en-GB", { style: "currency", currency: "GBP" }],
      ["en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }],
      ["de-DE", { minimumFractionDigits: 2, maximumFractionDigits: 2 }],
    ];
    fc.assert(
      fc.property(cents, fc.constantFrom(...formats), (n, [locale, opts]) => {
        const text = n.toLocaleString(locale, opts);
        const parsed = parseClariValue(text);
        expect(parsed.invalid).toBe(false);
        expect(parsed.value).toBeCloseTo(n, 2);
        if (opts.style === "currency") expect(parsed.currency).not.toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips whole numbers formatted en-US (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => {
        expect(v(n.toLocaleString("en-US"))).toBe(n);
        expect(v(`$${Math.abs(n).toLocaleString("en-US")}`)).toBe(Math.abs(n));
      }),
      { numRuns: 300 },
    );
  });
});

describe("canonicalDataType", () => {
  it("maps Clari's labels and variants", () => {
    const cases: Record<string, string> = {
      "Forecast Value": "forecast",
      forecast: "forecast",
      "Quota Value": "quota",
      Quota: "quota",
      "Forecast Updated": "forecast_updated",
      "FORECAST UPDATED": "forecast_updated",
      "Adjustment Value": "adjustment",
      "CRM Total": "crm_total",
      crm_total: "crm_total",
      "CRM Closed": "crm_closed",
    };
    for (const [label, dt] of Object.entries(cases)) expect(canonicalDataType(label)).toEqual({ dataType: dt, known: true });
    expect(canonicalDataType("Pipeline Coverage")).toEqual({ dataType: "pipeline_coverage", known: false });
  });
});

describe("parseTimePeriodLabel", () => {
  it("maps quarter labels to YYYY_QN", () => {
    for (const s of ["2026_Q4", "Q4 2026", "Q4 FY 2026", "FY2026 Q4", "2026 Q4", "q4 fy26", "2026-Q4", "2026Q4", "FY 2026 Q4"]) {
      expect(parseTimePeriodLabel(s)).toBe("2026_Q4");
    }
  });
  it("returns undefined for anything else", () => {
    for (const s of ["July FY 2023", "FY 2026", "Q5 2026", "", "2026", "Q4", "Q4 2026 extra"]) {
      expect(parseTimePeriodLabel(s)).toBeUndefined();
    }
  });
});

describe("dates", () => {
  it("normalises dates to ISO", () => {
    expect(toIsoDate("06/30/2023")).toBe("2023-06-30");
    expect(toIsoDate("6/3/2023")).toBe("2023-06-03");
    expect(toIsoDate("2026-10-05")).toBe("2026-10-05");
    expect(toIsoDate("2026-10-05T00:00:00Z")).toBe("2026-10-05");
    expect(toIsoDate("TF:2022-12-07")).toBe("2022-12-07");
    expect(toIsoDate(Date.UTC(2026, 9, 5))).toBe("2026-10-05");
    expect(toIsoDate("")).toBe("");
  });
  it("normalises timestamps from ISO, epoch ms and epoch seconds", () => {
    expect(toIsoTimestamp("2017-05-03T16:22:18Z")).toBe("2017-05-03T16:22:18.000Z");
    expect(toIsoTimestamp(1702906200000)).toBe("2023-12-18T13:30:00.000Z");
    expect(toIsoTimestamp("1702906200000")).toBe("2023-12-18T13:30:00.000Z");
    expect(toIsoTimestamp(1702906200)).toBe("2023-12-18T13:30:00.000Z");
    expect(toIsoTimestamp("garbage")).toBeNull();
    expect(toIsoTimestamp(null)).toBeNull();
  });
});
