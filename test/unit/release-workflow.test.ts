/**
 * .github/workflows/release.yml, linted offline by action-validator (@action-validator/core, the
 * WebAssembly build of the validator, against GitHub's workflow schema), and read for what a
 * release must do: test first, then publish to npm with provenance, attach the per-platform
 * bundles, push the image, and update the MCP registry entry after npm.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const text = readFileSync(path.join(root, ".github", "workflows", "release.yml"), "utf8");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  container?: string;
  steps: Step[];
}
const workflow = parse(text) as { on: { push: { tags: string[] } }; permissions: Record<string, string>; jobs: Record<string, Job> };
const { jobs } = workflow;
const runs = (job: string) => jobs[job]!.steps.map((s) => s.run ?? "").join("\n");
const needs = (job: string) => ([] as string[]).concat(jobs[job]!.needs ?? []);

describe("the release workflow", () => {
  it("passes action-validator, which refuses a broken copy", () => {
    expect(validateWorkflow(text).errors).toEqual([]);
    expect(validateWorkflow(text.replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest")).errors.length).toBeGreaterThan(0);
    expect(validateWorkflow(text.replace("needs: test\n", "needs: tests\n")).errors.length).toBeGreaterThan(0);
  });

  it("runs on version tags, reads only by default, and pins every action to a major version", () => {
    expect(workflow.on.push.tags).toEqual(["v*.*.*"]);
    expect(workflow.permissions).toEqual({ contents: "read" });
    const uses = Object.values(jobs).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    for (const action of uses) expect(action).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
  });

  it("tests first, the whole suite as CI runs it, and checks the tag against the versions", () => {
    expect(existsSync(path.join(root, ".ci", "run"))).toBe(true);
    expect(runs("test")).toContain("bash .ci/run");
    expect(runs("test")).toMatch(/package\.json.*server\.json.*manifest\.json/s);
    for (const job of ["npm", "bundles", "image"]) expect(needs(job)).toContain("test");
  });

  it("publishes to npm with provenance (an OIDC token), from a clean install that prepack builds", () => {
    expect(jobs.npm!.permissions).toMatchObject({ "id-token": "write" });
    expect(runs("npm")).toMatch(/npm ci\b/);
    expect(runs("npm")).toMatch(/npm publish --provenance/);
    const node = jobs.npm!.steps.find((s) => s.uses?.startsWith("actions/setup-node"))!.with!["node-version"]!;
    const engines = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    expect(`>=${node}`).toBe(engines);
  });

  it("attaches the per-platform bundles that npm run bundle writes to the release", () => {
    expect(jobs.bundles!.permissions).toMatchObject({ contents: "write" });
    expect(runs("bundles")).toContain("npm run bundle -- --out bundles");
    expect(runs("bundles")).toContain("gh release upload \"${GITHUB_REF_NAME}\" bundles/*.mcpb");
  });

  it("pushes the image built from the repository's Dockerfile, and updates the registry entry after npm", () => {
    expect(jobs.image!.permissions).toMatchObject({ packages: "write" });
    expect(jobs.image!.steps.find((s) => s.uses?.startsWith("docker/build-push-action"))!.with).toMatchObject({ context: ".", push: true });
    expect(needs("registry")).toContain("npm");
    expect(jobs.registry!.permissions).toMatchObject({ "id-token": "write" });
    expect(runs("registry")).toMatch(/mcp-publisher login github-oidc\s+\.\/mcp-publisher publish/);
  });
});
