/**
 * Export budgets as configured: --export-budget (and CLARI_MCP_EXPORT_BUDGET), the mapping file's
 * "budgets" section (per permission, in the order written; per caller by id or email), which one
 * applies to whom, the calendar periods they are counted in (UTC), and the settings refused.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { budgetFor, budgetWindow, NO_BUDGETS, parseBudget } from "../../src/config/budgets.js";

const dir = mkdtempSync(path.join(tmpdir(), "budgets-config-"));
function file(name: string, value: unknown): string {
  const at = path.join(dir, name);
  writeFileSync(at, typeof value === "string" ? value : JSON.stringify(value));
  return at;
}

describe("a budget", () => {
  it("is a number of exports per day, week or month, or unlimited", () => {
    expect(parseBudget("20/day", "x")).toEqual({ units: 20, period: "day" });
    expect(parseBudget(" 5 / Week ", "x")).toEqual({ units: 5, period: "week" });
    expect(parseBudget("0/month", "x")).toEqual({ units: 0, period: "month" });
    expect(parseBudget("unlimited", "x")).toBeUndefined();
    for (const bad of ["20", "20/hour", "-1/day", "1.5/day", "twenty/day", "", "99999999/day"]) expect(() => parseBudget(bad, "--export-budget"), bad).toThrow(/--export-budget must be a number of exports per day, week or month/);
  });

  it("is counted in UTC calendar periods: a day from midnight, a week from Monday, a month from the 1st", () => {
    const at = Date.parse("2026-05-07T23:59:59.999Z"); // a Thursday
    expect(budgetWindow("day", at)).toEqual({ key: "day:2026-05-07", start: Date.parse("2026-05-07T00:00:00Z"), end: Date.parse("2026-05-08T00:00:00Z") });
    expect(budgetWindow("week", at)).toEqual({ key: "week:2026-05-04", start: Date.parse("2026-05-04T00:00:00Z"), end: Date.parse("2026-05-11T00:00:00Z") });
    expect(budgetWindow("week", Date.parse("2026-05-10T12:00:00Z")).key).toBe("week:2026-05-04"); // Sunday: the same week
    expect(budgetWindow("week", Date.parse("2026-05-11T00:00:00Z")).key).toBe("week:2026-05-11"); // Monday: the next
    expect(budgetWindow("month", Date.parse("2026-12-31T23:00:00Z"))).toEqual({ key: "month:2026-12-01", start: Date.parse("2026-12-01T00:00:00Z"), end: Date.parse("2027-01-01T00:00:00Z") });
    expect(budgetWindow("day", Date.parse("2026-05-08T00:00:00Z")).key).toBe("day:2026-05-08");
  });
});

describe("whose budget applies", () => {
  const base = ["--sandbox", "--transport", "http"];
  const scopes = file("scopes.json", {
    export: "Clari.Export",
    budgets: {
      permissions: { admin: "100/day", export: "10/week" },
      callers: { "alice@example.com": "unlimited", ci: "3/day", "00u1@idp.example.com": "0/day" },
    },
  });
  const env = { CLARI_MCP_OAUTH_ISSUER: "https://idp.example.com", CLARI_MCP_PUBLIC_URL: "https://mcp.example.com/mcp", CLARI_MCP_OAUTH_SCOPES_FILE: scopes };
  const config = loadConfig([...base, "--export-budget", "20/day"], env);
  const of = (caller: string | undefined, permissions: string[] | undefined, email?: string) => budgetFor(config.exportBudgets, { caller, permissions, email });

  it("a caller entry by id or email first, then the first permission entry held (in the file's order), then --export-budget", () => {
    expect(of("00u1@idp.example.com", ["read", "export", "admin"])).toEqual({ holder: "00u1@idp.example.com", limit: { units: 0, period: "day" } });
    expect(of("00u2@idp.example.com", ["read", "export"], "alice@example.com")).toBeUndefined(); // unlimited by email
    expect(of("ci", ["read", "export", "cancel", "ingest", "admin"])).toEqual({ holder: "ci", limit: { units: 3, period: "day" } });
    expect(of("00u3@idp.example.com", ["read", "export", "admin"])?.limit).toEqual({ units: 100, period: "day" });
    expect(of("00u4@idp.example.com", ["read", "export"])?.limit).toEqual({ units: 10, period: "week" });
    expect(of("00u5@idp.example.com", ["read"])?.limit).toEqual({ units: 20, period: "day" });
    // stdio's one user holds every permission and is counted under "".
    expect(of(undefined, undefined)).toEqual({ holder: "", limit: { units: 100, period: "day" } });
  });

  it("is unlimited for everyone without a flag or a budgets section (today's behaviour)", () => {
    expect(loadConfig(["--sandbox"], {}).exportBudgets).toEqual(NO_BUDGETS);
    expect(budgetFor(loadConfig(["--sandbox"], {}).exportBudgets, { caller: "x", permissions: ["export"] })).toBeUndefined();
  });

  it("is read from the environment too, and the file's budgets work without sign-in (static tokens)", () => {
    expect(loadConfig(["--sandbox"], { CLARI_MCP_EXPORT_BUDGET: "7/month" }).exportBudgets.everyone).toEqual({ units: 7, period: "month" });
    const onlyBudgets = file("only-budgets.json", { budgets: { callers: { ci: "2/day" } } });
    const config = loadConfig(["--sandbox", "--oauth-scopes-file", onlyBudgets], {});
    expect(config.oauth).toBeUndefined();
    expect(budgetFor(config.exportBudgets, { caller: "ci", permissions: undefined })).toEqual({ holder: "ci", limit: { units: 2, period: "day" } });
  });

  it("refuses what cannot work, before anything starts", () => {
    expect(() => loadConfig(["--sandbox", "--export-budget", "20/fortnight"], {})).toThrow(/--export-budget .* "20\/day"/);
    expect(() => loadConfig(["--sandbox", "--oauth-scopes-file", file("names.json", { read: "Clari.Read" })], {})).toThrow(/--oauth-scopes-file needs --oauth-issuer/);
    expect(() => loadConfig([...base], { ...env, CLARI_MCP_OAUTH_SCOPES_FILE: file("bad-permission.json", { budgets: { permissions: { exporter: "1/day" } } }) })).toThrow(/budgets.permissions names "exporter"; the permissions are read, export/);
    expect(() => loadConfig([...base], { ...env, CLARI_MCP_OAUTH_SCOPES_FILE: file("bad-value.json", { budgets: { callers: { bob: 5 } } }) })).toThrow(/budgets.callers.bob must be a string/);
    expect(() => loadConfig([...base], { ...env, CLARI_MCP_OAUTH_SCOPES_FILE: file("bad-key.json", { budgets: { people: {} } }) })).toThrow(/unknown key\(s\) "people"/);
    expect(() => loadConfig([...base], { ...env, CLARI_MCP_OAUTH_SCOPES_FILE: file("bad-rate.json", { budgets: { callers: { bob: "5/hour" } } }) })).toThrow(/budgets.callers.bob must be a number of exports/);
    expect(() => loadConfig(["--sandbox", "--oauth-scopes-file", file("not-json.json", "{")], {})).toThrow(/not JSON/);
    expect(() => loadConfig(["--sandbox", "--audit-days", "0"], {})).toThrow(/--audit-days must be an integer from 1 to 3650/);
    expect(loadConfig(["--sandbox"], {}).auditDays).toBe(90);
    expect(loadConfig(["--sandbox"], { CLARI_MCP_AUDIT_DAYS: "30" }).auditDays).toBe(30);
  });
});
