/**
 * scripts/bundle.mjs's checks, on made-up files: a native library's platform read from its header
 * (ELF, Mach-O thin and universal, PE), and a staged node_modules refused, naming what is wrong,
 * when its DuckDB binding is missing, built for another platform, or joined by another platform's.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BundleError, DEFAULT_TARGETS, checkBinding, expectedKind, nativeKind } from "../../scripts/bundle.mjs";
import { tempDir } from "../helpers/harness.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

function elf(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b.writeUInt16LE(machine, 18);
  return b;
}
function macho(cpu: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeInt32LE(cpu, 4);
  return b;
}
function universal(...cpus: number[]): Buffer {
  const b = Buffer.alloc(8 + cpus.length * 20);
  b.writeUInt32BE(0xcafebabe, 0);
  b.writeUInt32BE(cpus.length, 4);
  cpus.forEach((cpu, i) => b.writeInt32BE(cpu, 8 + i * 20));
  return b;
}
function pe(machine: number): Buffer {
  const b = Buffer.alloc(0x100);
  b.write("MZ", 0, "latin1");
  b.writeUInt32LE(0x80, 0x3c);
  b.write("PE\0\0", 0x80, "latin1");
  b.writeUInt16LE(machine, 0x84);
  return b;
}
const ARM64 = 0x0100000c;
const X86_64 = 0x01000007;

describe("a native library's platform, from its header", () => {
  it("reads ELF, Mach-O (thin and universal) and PE, with their CPU", () => {
    expect(nativeKind(elf(0x3e))).toBe("ELF x86-64");
    expect(nativeKind(elf(0xb7))).toBe("ELF arm64");
    expect(nativeKind(macho(ARM64))).toBe("Mach-O arm64");
    expect(nativeKind(macho(X86_64))).toBe("Mach-O x86-64");
    expect(nativeKind(universal(X86_64, ARM64))).toBe("Mach-O x86-64+arm64");
    expect(nativeKind(pe(0x8664))).toBe("PE x86-64");
    expect(nativeKind(pe(0xaa64))).toBe("PE arm64");
    expect(nativeKind(Buffer.from("not a library at all, just text"))).toBeUndefined();
    expect(nativeKind(Buffer.alloc(0))).toBeUndefined();
  });

  it("expects ELF on Linux, Mach-O on macOS and PE on Windows, for the target's CPU", () => {
    expect(DEFAULT_TARGETS.map(expectedKind)).toEqual(["Mach-O arm64", "Mach-O x86-64", "PE x86-64", "ELF x86-64"]);
  });
});

describe("the staged DuckDB binding", () => {
  let work: { dir: string; remove(): Promise<void> } | undefined;
  afterEach(async () => work?.remove());

  async function stage(bindings: Record<string, Record<string, Buffer>>): Promise<string> {
    work = await tempDir("clari-mcp-bindings-");
    for (const [target, files] of Object.entries(bindings)) {
      const folder = path.join(work.dir, "@duckdb", `node-bindings-${target}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, "package.json"), "{}");
      for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(folder, name), bytes);
    }
    mkdirSync(path.join(work.dir, "@duckdb", "node-api"), { recursive: true });
    return work.dir;
  }

  it("passes a binding built for the target, a universal Mach-O included", async () => {
    const dir = await stage({ "darwin-arm64": { "duckdb.node": macho(ARM64), "libduckdb.dylib": universal(X86_64, ARM64) } });
    expect(checkBinding(dir, "darwin-arm64")).toEqual([
      { file: "@duckdb/node-bindings-darwin-arm64/duckdb.node", kind: "Mach-O arm64" },
      { file: "@duckdb/node-bindings-darwin-arm64/libduckdb.dylib", kind: "Mach-O x86-64+arm64" },
    ]);
  });

  it("refuses a missing binding, naming it and what npm installed instead", async () => {
    const dir = await stage({});
    expect(() => checkBinding(dir, "win32-x64")).toThrow(BundleError);
    expect(() => checkBinding(dir, "win32-x64")).toThrow(/win32-x64 bundle has no DuckDB binding: @duckdb\/node-bindings-win32-x64\/duckdb.node is missing/);
  });

  it("refuses a binding whose files are built for another platform or CPU, naming each file", async () => {
    const dir = await stage({ "darwin-x64": { "duckdb.node": macho(ARM64), "libduckdb.dylib": elf(0x3e) } });
    expect(() => checkBinding(dir, "darwin-x64")).toThrow(
      /not built for Mach-O x86-64: @duckdb\/node-bindings-darwin-x64\/duckdb.node is Mach-O arm64; @duckdb\/node-bindings-darwin-x64\/libduckdb.dylib is ELF x86-64/,
    );
    const text = await stage({ "linux-x64": { "duckdb.node": Buffer.from("placeholder") } });
    expect(() => checkBinding(text, "linux-x64")).toThrow(/duckdb.node is not a native library/);
  });

  it("refuses another platform's binding beside the target's own", async () => {
    const dir = await stage({ "linux-x64": { "duckdb.node": elf(0x3e) }, "win32-x64": { "duckdb.node": pe(0x8664) } });
    expect(() => checkBinding(dir, "linux-x64")).toThrow(/linux-x64 bundle carries other platforms' DuckDB bindings: @duckdb\/node-bindings-win32-x64/);
  });

  it("refuses a --target the lockfile has no binding for, before staging anything", () => {
    const run = () => execFileSync(process.execPath, [path.join(root, "scripts", "bundle.mjs"), "--target", "plan9-mips"], { cwd: root, encoding: "utf8", stdio: "pipe" });
    expect(run).toThrow(/No DuckDB binding for --target plan9-mips; the lockfile has: .*darwin-arm64/);
  });
});
