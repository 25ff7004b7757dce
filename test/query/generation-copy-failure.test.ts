/**
 * A generation whose copy of the last one fails (its disk full, the file gone) leaves no folder
 * behind: the failed folders of every attempt stayed until the server closed.
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Generations } from "../../src/exports/query/generations.js";

describe("a generation whose copy fails", () => {
  it("leaves no folder behind", async () => {
    const generations = new Generations(256);
    try {
      const first = await generations.next(async () => undefined);
      await rm(first.file);
      await expect(generations.next(async () => undefined)).rejects.toThrow(/ENOENT/);
      const folder = path.dirname(path.dirname(first.file));
      expect((await readdir(folder)).filter((name) => name.startsWith("gen-"))).toEqual(["gen-1"]);
    } finally {
      await generations.close();
    }
  });
});
