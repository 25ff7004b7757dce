/**
 * README's install snippets, decoded and checked against what they start: the one-line npx
 * command, the VS Code and Cursor install links, the `code --add-mcp` and `claude mcp add` lines
 * (each runs `npx -y clari-mcp`, the sandbox ones parse as --sandbox, the key ones take the key
 * from the client's secret prompt or the environment, never a literal), the bundle table (one file
 * per target `npm run bundle` builds) and the two quick-start commands.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_TARGETS } from "../../scripts/bundle.mjs";
import { loadConfig } from "../../src/config.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; scripts: Record<string, string> };

interface ServerConfig {
  name?: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  inputs?: Array<{ id: string; type: string; password?: boolean }>;
}

const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
function vscodeConfigs(scheme: "vscode" | "vscode-insiders"): ServerConfig[] {
  return links
    .filter((l) => l.startsWith("https://insiders.vscode.dev/redirect?url="))
    .map((l) => decodeURIComponent(new URL(l).searchParams.get("url")!))
    .filter((u) => u.startsWith(`${scheme}:mcp/install?`))
    .map((u) => JSON.parse(decodeURIComponent(u.slice(`${scheme}:mcp/install?`.length))) as ServerConfig);
}
const cursorConfigs = links
  .filter((l) => l.startsWith("cursor://anysphere.cursor-deeplink/mcp/install?"))
  .map((l) => {
    const params = new URL(l).searchParams;
    return { name: params.get("name")!, ...(JSON.parse(Buffer.from(params.get("config")!, "base64").toString("utf8")) as ServerConfig) };
  });
const addMcp = [...readme.matchAll(/^code --add-mcp '(.+)'$/gm)].map((m) => JSON.parse(m[1]!) as ServerConfig);

/** What the server makes of a config's arguments and environment (the key placeholders unresolved). */
function check(config: ServerConfig, secretFrom: RegExp): "sandbox" | "key" {
  expect(config.command).toBe("npx");
  expect(config.args.slice(0, 2)).toEqual(["-y", pkg.name]);
  const flags = config.args.slice(2);
  if (flags.includes("--sandbox")) {
    expect(loadConfig(flags, {}).sandbox).toBe(true);
    expect(config.env?.CLARI_API_KEY).toBeUndefined();
    return "sandbox";
  }
  expect(config.env?.CLARI_API_KEY).toMatch(secretFrom);
  // Without the key the server would stop: the placeholder is the only way it gets one.
  expect(() => loadConfig(flags, {})).toThrow(/CLARI_API_KEY is not set/);
  expect(loadConfig(flags, { CLARI_API_KEY: "k" }).sandbox).toBe(false);
  return "key";
}

describe("README's install snippets", () => {
  it("gives the one-line install the release test runs", () => {
    expect(readme).toContain("npx -y clari-mcp --sandbox\n");
    expect(readFileSync(path.join(root, "test", "release", "npx-registry.test.ts"), "utf8")).toContain('args: ["-y", pkg.name, "--sandbox"]');
  });

  it("has VS Code and VS Code Insiders links for the sandbox and for a key VS Code prompts for", () => {
    for (const scheme of ["vscode", "vscode-insiders"] as const) {
      const configs = vscodeConfigs(scheme);
      const kinds = configs.map((c) => check(c, /^\$\{input:([\w-]+)\}$/));
      expect(kinds.sort()).toEqual(["key", "sandbox"]);
      const key = configs.find((c) => c.env?.CLARI_API_KEY)!;
      const id = /^\$\{input:([\w-]+)\}$/.exec(key.env!.CLARI_API_KEY!)![1];
      expect(key.inputs).toEqual([expect.objectContaining({ id, type: "promptString", password: true })]);
    }
  });

  it("has the same two for `code --add-mcp`", () => {
    expect(addMcp).toEqual(vscodeConfigs("vscode"));
  });

  it("has Cursor links for the sandbox and for a key from the environment", () => {
    expect(cursorConfigs.map((c) => check(c, /^\$\{env:CLARI_API_KEY\}$/)).sort()).toEqual(["key", "sandbox"]);
  });

  it("has `claude mcp add` lines for both, the key from the shell's environment", () => {
    const lines = [...readme.matchAll(/^claude mcp add .+$/gm)].map((m) => m[0].replace(/\s+#.*$/, ""));
    expect(lines).toEqual(["claude mcp add clari-sandbox -- npx -y clari-mcp --sandbox", 'claude mcp add clari --env CLARI_API_KEY="$CLARI_API_KEY" -- npx -y clari-mcp']);
  });

  it("names one bundle per target npm run bundle builds", () => {
    const files = [...readme.matchAll(/`clari-mcp-<version>-([\w-]+)\.mcpb`/g)].map((m) => m[1]);
    expect([...new Set(files)].sort()).toEqual([...DEFAULT_TARGETS].sort());
  });

  it("keeps the two quick-start commands true", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("scripts/test-prerequisites.sh && npm ci && npm test");
    // CI runs the same steps (README's test command, with lint before the suite).
    const ci = readFileSync(new URL("../../.ci/run", import.meta.url), "utf8");
    expect(ci.match(/^(scripts\/test-prerequisites\.sh|npm ci|npm test)\b/gm)).toEqual(["scripts/test-prerequisites.sh", "npm ci", "npm test"]);
    expect(pkg.scripts.demo).toBeDefined();
    expect(pkg.scripts.pretest).toBe("npm run build");
  });
});
