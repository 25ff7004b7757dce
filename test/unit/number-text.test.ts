/**
 * clari_query's text: money keeps its cents, ratios keep 4 significant digits, and rounding never
 * turns a miss into a whole number (0.99996 of quota is not 1).
 */
import { describe, expect, it } from "vitest";
import { numberText } from "../../src/tools/catalog/query.js";

describe("numbers in clari_query's text", () => {
  it.each([
    [3.5646, "3.565"],
    [3.5575, "3.558"],
    [0.72345, "0.7235"],
    [1234567.891, "1234567.89"],
    [0.99996, "0.9999"],
    [99.996, "99.99"],
    [1.99996, "1.999"],
    [-0.99996, "-0.9999"],
    [1.00004, "1"],
    [42, "42"],
  ])("%d reads %s", (value, text) => {
    expect(numberText(value)).toBe(text);
  });
});
