/**
 * The layering `npm run lint` checks (.dependency-cruiser.cjs): it passes on the sources as they
 * are, and fails on a copy of them with one deliberate climb back up, or a cycle. And one job per
 * file: no source file over 400 lines but the sandbox's data tables.
 */
import { execFile } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CRUISE = path.join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const copies: string[] = [];
afterAll(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CRUISE, "src", "--config", ".dependency-cruiser.cjs"], { cwd, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** A copy of src/ with the lint's config, changed by `edit`. */
function copyWith(edit: (dir: string) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), "clari-layers-"));
  copies.push(dir);
  cpSync(path.join(ROOT, "src"), path.join(dir, "src"), { recursive: true });
  for (const file of [".dependency-cruiser.cjs", "tsconfig.json"]) cpSync(path.join(ROOT, file), path.join(dir, file));
  edit(dir);
  return dir;
}

describe("layering (npm run lint)", () => {
  it("passes on the sources as they are", async () => {
    const { code, output } = await cruise(ROOT);
    expect(output).toContain("no dependency violations found");
    expect(code).toBe(0);
  });

  it("fails when the export store imports a tool (a climb back up)", async () => {
    const dir = copyWith((d) => appendFileSync(path.join(d, "src/exports/store/store.ts"), '\nimport "../../tools/index.js";\n'));
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/no-climb-from-exports: src\/exports\/store\/store\.ts → src\/tools\/index\.ts/);
  });

  it("fails when a tool reaches past the exports front door, or the sandbox imports the product", async () => {
    const dir = copyWith((d) => {
      appendFileSync(path.join(d, "src/tools/catalog/get-limits.ts"), '\nimport "../../exports/store/store.js";\n');
      appendFileSync(path.join(d, "src/sandbox/random.ts"), '\nimport "../security/redact.js";\n');
    });
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toContain("exports-front-door: src/tools/catalog/get-limits.ts → src/exports/store/store.ts");
    expect(output).toContain("sandbox-stands-alone: src/sandbox/random.ts → src/security/redact.ts");
  });

  it("fails on an import cycle inside one layer", async () => {
    // redact-stream.ts imports redact.ts; the reverse closes a cycle.
    const dir = copyWith((d) => appendFileSync(path.join(d, "src/security/redact.ts"), '\nimport "./redact-stream.js";\n'));
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toContain("no-circular");
  });
});

describe("file size", () => {
  const MAX_LINES = 400;

  it(`keeps every .ts file in src/ at ${MAX_LINES} lines or fewer, but the sandbox's data tables (*-data.ts)`, () => {
    const src = path.join(ROOT, "src");
    const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(100);
    const lines = (file: string): number => {
      const text = readFileSync(path.join(src, file), "utf8");
      return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    };
    const over = files
      .filter((f) => !f.endsWith("-data.ts"))
      .map((f) => ({ file: `src/${f.split(path.sep).join("/")}`, lines: lines(f) }))
      .filter((f) => f.lines > MAX_LINES);
    expect(over).toEqual([]);
  });
});
