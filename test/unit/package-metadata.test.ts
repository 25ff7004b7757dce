/**
 * What the npm registry and the MCP registry read: server.json is valid against the MCP
 * registry's server.json schema (vendored in test/fixtures/mcp-registry, its version in the file
 * name and equal to server.json's $schema), and package.json, server.json, manifest.json and
 * LICENSE tell the same story: name, version, owner, repository and license.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = <T>(file: string) => JSON.parse(readFileSync(path.join(root, file), "utf8")) as T;

const SCHEMA_VERSION = "2025-09-29";
const schema = read<{ $id: string }>(`test/fixtures/mcp-registry/server.schema.${SCHEMA_VERSION}.json`);

interface Pkg {
  name: string;
  version: string;
  mcpName: string;
  license: string;
  homepage: string;
  repository: { type: string; url: string };
  bin: Record<string, string>;
  scripts: Record<string, string>;
}
interface ServerJson {
  $schema: string;
  name: string;
  version: string;
  repository: { url: string; source: string };
  websiteUrl: string;
  packages: Array<{ registryType: string; identifier: string; version: string; transport: { type: string }; environmentVariables: Array<{ name: string; isSecret?: boolean }> }>;
}
const pkg = read<Pkg>("package.json");
const server = read<ServerJson>("server.json");
const manifest = read<{ name: string; version: string; license: string }>("manifest.json");

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

describe("server.json", () => {
  it(`is valid against the MCP registry's server.json schema ${SCHEMA_VERSION}, the one it names`, () => {
    expect(schema.$id).toBe(`https://static.modelcontextprotocol.io/schemas/${SCHEMA_VERSION}/server.schema.json`);
    expect(server.$schema).toBe(schema.$id);
    const validate = validator();
    expect(validate(server), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("the schema refuses what the registry refuses (a version range, a name without a namespace)", () => {
    const validate = validator();
    const latest = structuredClone(server);
    latest.packages[0]!.version = "latest";
    expect(validate(latest)).toBe(false);
    expect(validate({ ...server, name: "clari-mcp" })).toBe(false);
    expect(validate({ ...server, packages: [{ ...server.packages[0], transport: { type: "stdio" }, runtime: "node" }] })).toBe(false);
  });

  it("names the npm package and version package.json has, under package.json's mcpName", () => {
    expect(server.name).toBe(pkg.mcpName);
    expect(server.version).toBe(pkg.version);
    expect(server.packages).toHaveLength(1);
    const [npm] = server.packages;
    expect(npm).toMatchObject({ registryType: "npm", identifier: pkg.name, version: pkg.version, transport: { type: "stdio" } });
  });

  it("passes only environment variables the server reads, the keys as secrets", () => {
    const config = readFileSync(path.join(root, "src", "config.ts"), "utf8");
    for (const variable of server.packages[0]!.environmentVariables) {
      expect(config, variable.name).toMatch(new RegExp(`\\b${variable.name}\\b`));
      if (/KEY|TOKEN/.test(variable.name)) expect(variable.isSecret, variable.name).toBe(true);
    }
  });
});

describe("package.json", () => {
  it("carries the registry's owner and the GitHub repository it names, consistently", () => {
    // io.github.<owner>/<name>: the MCP registry checks the owner against GitHub.
    const [, owner, name] = /^io\.github\.([^/]+)\/(.+)$/.exec(pkg.mcpName)!;
    expect(name).toBe(pkg.name);
    const repository = `https://github.com/${owner}/${name}`;
    expect(pkg.repository).toEqual({ type: "git", url: `git+${repository}.git` });
    expect(pkg.homepage.startsWith(repository)).toBe(true);
    expect(server.repository).toEqual({ url: repository, source: "github" });
    expect(server.websiteUrl.startsWith(repository)).toBe(true);
  });

  it("is MIT everywhere, with the LICENSE file npm packs", () => {
    expect(pkg.license).toBe("MIT");
    expect(manifest.license).toBe("MIT");
    expect(readFileSync(path.join(root, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });

  it("builds before it packs, so a fresh clone packs the binary", () => {
    expect(pkg.scripts.prepack).toBe("npm run build");
    expect(pkg.bin).toEqual({ [pkg.name]: "dist/cli.js" });
    expect(manifest).toMatchObject({ name: pkg.name, version: pkg.version });
  });
});
