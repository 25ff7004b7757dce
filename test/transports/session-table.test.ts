/**
 * The session table's admission policy as a unit (the HTTP cases are in
 * test/e2e/http-sessions.test.ts): a caller at its cap is refused and evicts nothing; a full table
 * takes room only from a caller holding at least as many sessions as the newcomer, the heaviest
 * first, least recently used first; busy sessions never go.
 */
import { describe, expect, it } from "vitest";
import { SessionTable, type SessionEntry } from "../../src/transports/session-table.js";

interface Entry extends SessionEntry {
  id: string;
  closed: boolean;
}

function table(capacity: number, cap: number) {
  const t = new SessionTable<Entry>(capacity, (caller) => (caller === "" ? Infinity : cap));
  let n = 0;
  const open = (caller: string): Entry | string => {
    const admission = t.admit(caller);
    if (admission !== "admitted") return admission;
    const entry: Entry = { id: `s${n++}`, caller, lastSeen: n, inFlight: 0, openStreams: 0, closed: false, close: async () => void (entry.closed = true) };
    t.add(entry.id, entry);
    return entry;
  };
  return { t, open };
}

const ids = (t: SessionTable<Entry>, caller: string) => [...t.values()].filter((e) => e.caller === caller).map((e) => e.id);

describe("SessionTable", () => {
  it("refuses a caller at its cap without evicting anything, its own sessions included", () => {
    const { t, open } = table(10, 3);
    const mine = [open("a"), open("a"), open("a")] as Entry[];
    expect(open("a")).toBe("caller-cap");
    expect(mine.every((e) => !e.closed)).toBe(true);
    expect(t.held("a")).toBe(3);
  });

  it("a full table evicts from the heaviest caller, least recently used first, never from a lighter one", () => {
    const { t, open } = table(6, 4);
    const heavy = [open("heavy"), open("heavy"), open("heavy"), open("heavy")] as Entry[];
    const light = [open("light"), open("light")] as Entry[];
    // A newcomer takes the heavy caller's oldest idle session.
    const newcomer = open("new") as Entry;
    expect(newcomer.id).toBeDefined();
    expect(heavy[0]!.closed).toBe(true);
    expect(light.every((e) => !e.closed)).toBe(true);
    // Heavy (3) vs light (2): light, at 2, may take from heavy (3) but heavy may not take from light.
    heavy[1]!.inFlight = 1;
    heavy[2]!.inFlight = 1;
    heavy[3]!.openStreams = 1;
    expect(open("heavy")).toBe("busy"); // its own are all busy, and the others hold fewer
    expect(light.every((e) => !e.closed)).toBe(true);
    expect(newcomer.closed).toBe(false);
    // Light, holding 2, may not evict the newcomer (1): with heavy busy it gives up its own oldest.
    const again = open("light") as Entry;
    expect(light[0]!.closed).toBe(true);
    expect(newcomer.closed).toBe(false);
    // Once one of heavy's (3) is idle, light (2) takes that one rather than its own.
    heavy[3]!.openStreams = 0;
    expect((open("light") as Entry).caller).toBe("light");
    expect(heavy[3]!.closed).toBe(true);
    expect([light[1], again].every((e) => !e!.closed)).toBe(true);
    expect(ids(t, "light")).toHaveLength(3);
  });

  it("the one local user (no cap of its own) fills the table, then gives up its own least recently used idle session", () => {
    const { t, open } = table(3, 1);
    const [a, b, c] = [open(""), open(""), open("")] as Entry[];
    t.touch(a!.id, a!);
    const d = open("") as Entry;
    expect(b!.closed).toBe(true);
    expect([a, c, d].every((e) => !e!.closed)).toBe(true);
    expect(t.size).toBe(3);
  });
});
