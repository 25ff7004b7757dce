/**
 * The forecast load's fast paths give what the plain ones did: numeric chunks copied into DuckDB's
 * vectors a column at a time keep every NULL where it was (validity bits at byte and word edges,
 * a chunk without NULLs after one with them), and the typed-array grouping numbers keys as a Map
 * would, keys past 2^32 included.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { appendNumericChunks } from "../../src/exports/query/append.js";
import { KeyGroups } from "../../src/exports/query/key-groups.js";

function column(length: number, nullAt: (k: number) => boolean, value: (k: number) => number): Float64Array {
  return Float64Array.from({ length }, (_, k) => (nullAt(k) ? Number.NaN : value(k)));
}

describe("appendNumericChunks", () => {
  it("keeps every value and every NULL, chunk after chunk", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const con = await instance.connect();
    try {
      await con.run("CREATE TABLE t (chunk INTEGER, k INTEGER, i INTEGER, d DOUBLE)");
      const edges = new Set([0, 7, 8, 63, 64, 65, 127, 128, 2047]);
      const plan = [
        { length: 2048, nullAt: (k: number) => edges.has(k) },
        { length: 100, nullAt: () => false },
        { length: 5, nullAt: () => true },
        { length: 77, nullAt: (k: number) => k % 3 === 0 },
      ];
      const chunks = plan.map((p, n) => ({
        length: p.length,
        columns: [
          new Float64Array(p.length).fill(n),
          Float64Array.from({ length: p.length }, (_, k) => k),
          column(p.length, p.nullAt, (k) => k * 2 - 1000),
          column(p.length, (k) => p.nullAt(p.length - 1 - k), (k) => k / 8 + 0.125),
        ],
      }));
      const rows = await appendNumericChunks(con, "t", ["INTEGER", "INTEGER", "INTEGER", "DOUBLE"], chunks);
      expect(rows).toBe(2048 + 100 + 5 + 77);
      const read = (await con.runAndReadAll("SELECT chunk, k, i, d FROM t ORDER BY chunk, k")).getRows();
      const expected = plan.flatMap((p, n) =>
        Array.from({ length: p.length }, (_, k) => [n, k, p.nullAt(k) ? null : k * 2 - 1000, p.nullAt(p.length - 1 - k) ? null : k / 8 + 0.125]),
      );
      expect(read).toEqual(expected);
    } finally {
      con.closeSync();
      instance.closeSync();
    }
  });

  it("keeps every row across row groups, each checkpointed as it fills", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "append-groups-"));
    const instance = await DuckDBInstance.create(path.join(dir, "t.duckdb"), { threads: "1" });
    const con = await instance.connect();
    try {
      await con.run("CREATE TABLE t (i INTEGER, d DOUBLE)");
      // Two whole row groups (122,880 rows each) and 3 rows more, in chunks of up to 2048 rows.
      const total = 2 * 122_880 + 3;
      let drawn = 0;
      const chunks = (function* () {
        for (let start = 0; start < total; start += 2048) {
          const length = Math.min(2048, total - start);
          drawn += length;
          yield {
            length,
            columns: [
              Float64Array.from({ length }, (_, k) => start + k),
              column(length, (k) => (start + k) % 1000 === 0, (k) => (start + k) / 4),
            ],
          };
        }
      })();
      expect(await appendNumericChunks(con, "t", ["INTEGER", "DOUBLE"], chunks)).toBe(total);
      expect(drawn).toBe(total);
      let sum = 0;
      let nulls = 0;
      for (let i = 0; i < total; i++) {
        if (i % 1000 === 0) nulls++;
        else sum += i / 4;
      }
      const [row] = (await con.runAndReadAll("SELECT count(*)::INTEGER, count(DISTINCT i)::INTEGER, max(i), count(d)::INTEGER, sum(d) FROM t")).getRows();
      expect(row).toEqual([total, total, total - 1, total - nulls, sum]);
    } finally {
      con.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a chunk larger than DuckDB's vector", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const con = await instance.connect();
    try {
      await con.run("CREATE TABLE t (a INTEGER)");
      await expect(appendNumericChunks(con, "t", ["INTEGER"], [{ length: 2049, columns: [new Float64Array(2049)] }])).rejects.toThrow(/2049 rows/);
      expect((await con.runAndReadAll("SELECT count(*)::INTEGER FROM t")).getRows()).toEqual([[0]]);
    } finally {
      con.closeSync();
      instance.closeSync();
    }
  });
});

describe("KeyGroups", () => {
  it("numbers keys in first-seen order, as a Map does", () => {
    let seed = 12345;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const keys: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const small = next() % 3000;
      // Keys past 2^32 and 2^52, and keys equal modulo 2^32, must stay apart.
      keys.push(i % 4 === 0 ? small : i % 4 === 1 ? small * 4294967296 + 7 : i % 4 === 2 ? 2 ** 52 + small : small + 4294967296);
    }
    const groups = new KeyGroups(keys.length);
    const map = new Map<number, number>();
    const ours = keys.map((key) => groups.groupOf(key));
    const theirs = keys.map((key) => {
      if (!map.has(key)) map.set(key, map.size);
      return map.get(key) as number;
    });
    expect(ours).toEqual(theirs);
    expect(groups.count).toBe(map.size);
  });
});
