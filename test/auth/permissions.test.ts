/**
 * The permission rules and the OAuth settings, without a network: which permission each tool of
 * the catalogue needs (derived from its definition), how a token's claims become permissions
 * under a scope mapping (default names, an Entra-style prefix, "*", roles), and the settings that
 * stop start-up.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { requiredScope } from "../../src/config/scopes.js";
import { ALL_TOOLS } from "../../src/tools/index.js";
import { listingFor, scopesByName } from "../../src/tools/kit/scope-gate.js";
import { DEFAULT_SCOPE_NAMES, loadOAuthSettings, parseScopeNames } from "../../src/config/oauth.js";
import { callerId, scopesOf } from "../../src/transports/auth/token-verifier.js";

describe("the permission each tool needs", () => {
  it("follows from the tool's toolset and annotations", () => {
    const byScope: Record<string, string[]> = {};
    for (const tool of ALL_TOOLS) (byScope[requiredScope(tool)] ??= []).push(tool.name);
    expect(byScope.export?.sort()).toEqual(["clari_export_activity", "clari_export_audit_events", "clari_export_forecast"]);
    expect(byScope.cancel).toEqual(["clari_cancel_export_job"]);
    expect(byScope.ingest?.sort()).toEqual(["clari_add_picklist_values", "clari_get_ingest_job", "clari_get_picklist_values", "clari_ingest_bulk", "clari_ingest_records"]);
    expect(byScope.read).toEqual(expect.arrayContaining(["clari_query", "clari_get_forecast", "clari_wait_for_job", "clari_get_limits", "clari_list_export_jobs", "clari_get_opportunities", "clari_list_audit_events"]));
    expect(byScope.admin).toBeUndefined();
  });

  it("lists a caller only the tools it may use; stdio and static tokens see all", () => {
    const tools = ALL_TOOLS.map((t) => ({ name: t.name, inputSchema: { type: "object" as const } }));
    const scopes = scopesByName(ALL_TOOLS);
    expect(listingFor(tools, scopes, undefined)).toHaveLength(ALL_TOOLS.length);
    const reader = listingFor(tools, scopes, { token: "", clientId: "x", scopes: ["read"] }).map((t) => t.name);
    expect(reader).toContain("clari_query");
    expect(reader).not.toContain("clari_export_forecast");
    expect(reader).not.toContain("clari_ingest_records");
  });
});

describe("a token's claims as permissions", () => {
  it("reads the default names from scope or scp, with what they imply", () => {
    expect(scopesOf({ scope: "openid clari:export" }, DEFAULT_SCOPE_NAMES)).toEqual(["read", "export"]);
    expect(scopesOf({ scp: ["clari:ingest"] }, DEFAULT_SCOPE_NAMES)).toEqual(["ingest"]);
    expect(scopesOf({ scope: "clari:readonly" }, DEFAULT_SCOPE_NAMES)).toEqual([]);
  });

  it("follows a mapping file: Entra-style names and prefix, roles, and * for everyone", () => {
    const names = parseScopeNames(JSON.stringify({ read: "*", export: "Clari.Export", admin: "Clari.Admins", requestPrefix: "api://0c1e/", claims: ["scp", "roles"] }), "test");
    expect(names.requested).toEqual({ read: undefined, export: "api://0c1e/Clari.Export", cancel: "api://0c1e/clari:cancel", ingest: "api://0c1e/clari:ingest", admin: "api://0c1e/Clari.Admins" });
    expect(scopesOf({ scp: "Clari.Export" }, names)).toEqual(["read", "export"]);
    expect(scopesOf({ roles: ["Clari.Admins"] }, names)).toEqual(["read", "admin"]);
    expect(scopesOf({}, names)).toEqual(["read"]);
    expect(() => parseScopeNames(JSON.stringify({ reed: "x" }), "test")).toThrow(/unknown key/);
    expect(() => parseScopeNames(JSON.stringify({ read: "same", export: "same" }), "test")).toThrow(/two permissions/);
    expect(() => parseScopeNames(JSON.stringify({ read: "has space" }), "test")).toThrow(/scope name/);
  });

  it("names the caller by subject and issuer, never by token", () => {
    expect(callerId("https://login.example.com/tenant/v2.0/", "abc")).toBe("abc@login.example.com/tenant/v2.0");
  });
});

describe("settings", () => {
  const base = { issuer: "https://idp.example.com", publicUrl: "https://mcp.example.com/mcp/", audience: undefined, introspectionClientFile: undefined, scopesFile: undefined };

  it("takes the canonical resource URL as the audience, plus --oauth-audience", () => {
    const settings = loadOAuthSettings({ ...base, audience: "api://0c1e, 0c1e-guid" });
    expect(settings?.resource).toBe("https://mcp.example.com/mcp");
    expect(settings?.audiences).toEqual(["https://mcp.example.com/mcp", "api://0c1e", "0c1e-guid"]);
  });

  it("refuses what cannot work", () => {
    expect(() => loadOAuthSettings({ ...base, publicUrl: undefined })).toThrow(/needs --public-url/);
    expect(() => loadOAuthSettings({ ...base, issuer: "http://idp.example.com" })).toThrow(/https/);
    expect(() => loadOAuthSettings({ ...base, publicUrl: "https://mcp.example.com/mcp#x" })).toThrow(/fragment/);
    expect(() => loadOAuthSettings({ ...base, issuer: undefined })).toThrow(/--public-url needs --oauth-issuer/);
    const dir = mkdtempSync(path.join(tmpdir(), "oauth-settings-"));
    const bad = path.join(dir, "client.json");
    writeFileSync(bad, JSON.stringify({ client_id: "x", client_secret: "short" }));
    expect(() => loadOAuthSettings({ ...base, introspectionClientFile: bad })).toThrow(/client_secret must be/);
    expect(() => loadOAuthSettings({ ...base, introspectionClientFile: path.join(dir, "missing.json") })).toThrow(/cannot be read \(ENOENT\)/);
  });

  it("is read from flags or the environment, over HTTP only; a non-loopback bind with sign-in needs no static token", () => {
    const env = { CLARI_MCP_OAUTH_ISSUER: "https://idp.example.com", CLARI_MCP_PUBLIC_URL: "https://mcp.example.com/mcp" };
    const config = loadConfig(["--sandbox", "--transport", "http", "--host", "0.0.0.0"], env);
    expect(config.oauth?.issuer).toBe("https://idp.example.com");
    expect(() => loadConfig(["--sandbox"], env)).toThrow(/HTTP transport/);
    expect(loadConfig(["--sandbox", "--transport", "http"], env).allowedHosts).toContain("mcp.example.com");
  });
});
