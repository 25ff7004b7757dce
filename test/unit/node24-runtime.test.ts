/**
 * The Node 24 the release tests run (the conformance suite, the Dockerfile replay) comes from the
 * lockfile: scripts/node24's optional platform packages, which the lockfile places inside
 * scripts/node24/node_modules. Placed at the top (npm's default when the lockfile is regenerated),
 * their `node` bin would land in node_modules/.bin and replace the Node that runs `npm test`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { node24, node24Path } from "clari-mcp-node24";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("Node 24 from the lockfile", () => {
  it("is installed for this machine and is Node 24", () => {
    expect(execFileSync(node24(), ["--version"], { encoding: "utf8" }).trim()).toMatch(/^v24\.\d+\.\d+$/);
  });

  it("never shadows the Node that runs npm scripts", () => {
    const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { bin?: Record<string, string> }> };
    const wrapper = JSON.parse(readFileSync(path.join(root, "scripts", "node24", "package.json"), "utf8")) as { optionalDependencies: Record<string, string> };
    for (const name of Object.keys(wrapper.optionalDependencies)) {
      expect(lock.packages[`node_modules/${name}`], `${name} must stay in scripts/node24/node_modules`).toBeUndefined();
      expect(lock.packages[`scripts/node24/node_modules/${name}`]?.bin?.node, name).toBeDefined();
    }
    const topLevel = Object.entries(lock.packages).filter(([key]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key));
    expect(topLevel.filter(([, entry]) => entry.bin?.node).map(([key]) => key)).toEqual([]);
    expect(existsSync(path.join(root, "node_modules", ".bin", process.platform === "win32" ? "node.cmd" : "node"))).toBe(false);
  });

  it("has no binary for a platform it lists no package for", () => {
    expect(node24Path("aix", "ppc64")).toBeUndefined();
  });
});
