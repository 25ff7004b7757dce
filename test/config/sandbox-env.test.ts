/** CLARI_MCP_SANDBOX: the bundle's "try with simulated data" setting, as a host passes it. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("CLARI_MCP_SANDBOX", () => {
  it("true runs on the sandbox with no key; false, empty or unset needs the key", () => {
    for (const value of ["true", "TRUE", "1", "yes"]) expect(loadConfig([], { CLARI_MCP_SANDBOX: value }).sandbox, value).toBe(true);
    for (const value of ["false", "0", "no", "", " "]) {
      expect(() => loadConfig([], { CLARI_MCP_SANDBOX: value }), value).toThrow(/CLARI_API_KEY is not set/);
      expect(loadConfig([], { CLARI_MCP_SANDBOX: value, CLARI_API_KEY: "k" }).sandbox, value).toBe(false);
    }
    expect(loadConfig([], { CLARI_API_KEY: "k" }).sandbox).toBe(false);
  });

  it("a placeholder the host left unresolved is unset", () => {
    expect(loadConfig([], { CLARI_MCP_SANDBOX: "${user_config.sandbox}", CLARI_API_KEY: "k" }).sandbox).toBe(false);
  });

  it("--sandbox wins, and any other value is refused, naming the variable", () => {
    expect(loadConfig(["--sandbox"], { CLARI_MCP_SANDBOX: "false" }).sandbox).toBe(true);
    expect(() => loadConfig([], { CLARI_MCP_SANDBOX: "maybe", CLARI_API_KEY: "k" })).toThrow(ConfigError);
    expect(() => loadConfig([], { CLARI_MCP_SANDBOX: "maybe", CLARI_API_KEY: "k" })).toThrow(/CLARI_MCP_SANDBOX must be true or false \(got "maybe"\)/);
  });
});
