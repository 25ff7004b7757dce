/** The forecast view's number formats, by themselves (the browser test checks them as drawn). */
import { describe, expect, it } from "vitest";
import { attainment, compactMoney, niceCeiling } from "../../view/format.js";

describe("the view's number formats", () => {
  it("never rounds a miss up to 100% of quota", () => {
    expect(attainment(0.9986)).toBe("99.9%");
    expect(attainment(0.99964)).toBe("99.96%");
    expect(attainment(0.999999)).toBe("99.99%");
    expect(attainment(1)).toBe("100.0%");
    expect(attainment(1.0004)).toBe("100.0%");
    expect(attainment(0.943)).toBe("94.3%");
    for (let r = 0.99; r < 1; r += 0.00001) expect(Number.parseFloat(attainment(r))).toBeLessThan(100);
  });

  it("writes axis money compactly", () => {
    expect(compactMoney(3_405_000, "USD", "en-US")).toBe("$3.4M");
    expect(compactMoney(850_000, "USD", "en-US")).toBe("$850K");
    expect(compactMoney(0, "USD", "en-US")).toBe("$0");
    expect(compactMoney(2_500_000, "EUR", "en-US")).toBe("€2.5M");
  });

  it("tops an axis at a round number at or above the largest value", () => {
    expect(niceCeiling(6_800_000)).toBe(8_000_000);
    expect(niceCeiling(3_405_000)).toBe(4_000_000);
    expect(niceCeiling(1_000_000)).toBe(1_000_000);
    expect(niceCeiling(0)).toBe(1);
    for (const max of [1, 7, 99, 1234, 98_765, 5_000_001]) {
      expect(niceCeiling(max)).toBeGreaterThanOrEqual(max);
      expect(niceCeiling(max)).toBeLessThanOrEqual(max * 1.5);
    }
  });
});
