/**
 * The table of stateful HTTP sessions and its admission policy, per caller. A caller is an
 * identity the server verified (a named bearer token's name; later a signed-in person), never a
 * header the client chooses (User-Agent) nor a raw token value, so no client can pose as many
 * callers to get more room, or as another to take its room.
 * - A caller at its own cap is refused (the answer says so): its sessions are its own to close
 *   (DELETE) or to let expire; it never evicts anyone's, not even its own in use by another client.
 * - A full table makes room by evicting a least recently used idle session of a caller holding at
 *   least as many sessions as the newcomer (the heaviest first): a caller can take room only from
 *   one holding more than its share, never from one with fewer sessions than itself.
 * A session with a request in flight or an open GET stream is never evicted; when no session may
 * go, `admit` says the table is busy.
 */

export interface SessionEntry {
  /** Who opened it (the caller's verified identity): the unit of the per-caller cap. */
  readonly caller: string;
  lastSeen: number;
  /** Requests being answered (POST, DELETE; an SSE answer counts until it ends). */
  inFlight: number;
  /** Open GET streams (server-to-client notifications): a listening session is not idle. */
  openStreams: number;
  /** Ends the session (closes its McpServer); the table has already forgotten it. */
  close(): Promise<void>;
}

export const isIdle = (s: SessionEntry): boolean => s.inFlight === 0 && s.openStreams === 0;

/** Why a new session was not admitted: the caller holds its cap, or every session that could go is busy. */
export type Admission = "admitted" | "caller-cap" | "busy";

export class SessionTable<S extends SessionEntry> {
  /** Insertion order is recency order: `touch` moves a session to the end. */
  private readonly sessions = new Map<string, S>();
  private readonly perCaller = new Map<string, number>();
  /** Slots promised to initializes still being answered, in all and by caller. */
  private reserved = 0;
  private readonly pending = new Map<string, number>();

  constructor(
    readonly capacity: number,
    /** The most sessions a caller may hold (Infinity: no cap of its own, e.g. the one local user). */
    readonly callerCap: (caller: string) => number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): S | undefined {
    return this.sessions.get(id);
  }

  values(): IterableIterator<S> {
    return this.sessions.values();
  }

  /** Sessions a caller holds, admitted or being admitted. */
  held(caller: string): number {
    return (this.perCaller.get(caller) ?? 0) + (this.pending.get(caller) ?? 0);
  }

  /** Marks a session used now (it becomes the most recently used); an ended one stays out. */
  touch(id: string, session: S, now = Date.now()): void {
    session.lastSeen = now;
    if (this.sessions.get(id) !== session) return;
    this.sessions.delete(id);
    this.sessions.set(id, session);
  }

  /**
   * Makes room for one new session of `caller`, evicting (and closing) an idle session as the
   * policy says, and reserves its slot. Each "admitted" must be followed by `add` or `release`.
   */
  admit(caller: string): Admission {
    if (this.held(caller) >= this.callerCap(caller)) return "caller-cap";
    if (this.sessions.size + this.reserved >= this.capacity) {
      const victim = this.victimFor(caller);
      if (!victim) return "busy";
      this.evict(victim);
    }
    this.reserved += 1;
    this.pending.set(caller, (this.pending.get(caller) ?? 0) + 1);
    return "admitted";
  }

  /** Turns a reservation from `admit` into a session. */
  add(id: string, session: S): void {
    this.release(session.caller);
    this.sessions.set(id, session);
    this.perCaller.set(session.caller, (this.perCaller.get(session.caller) ?? 0) + 1);
  }

  /** Gives back a reservation that did not become a session (the initialize failed). */
  release(caller: string): void {
    const pending = this.pending.get(caller) ?? 0;
    if (pending === 0) return;
    this.reserved -= 1;
    if (pending === 1) this.pending.delete(caller);
    else this.pending.set(caller, pending - 1);
  }

  /** Forgets a session (it ended); does not close it. */
  delete(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const count = (this.perCaller.get(session.caller) ?? 1) - 1;
    if (count === 0) this.perCaller.delete(session.caller);
    else this.perCaller.set(session.caller, count);
  }

  /** Closes idle sessions last used before `cutoff` (clients that vanished without DELETE). */
  sweep(cutoff: number): void {
    for (const [id, session] of [...this.sessions]) if (isIdle(session) && session.lastSeen < cutoff) this.evict([id, session]);
  }

  /** Closes every session (server shutdown). */
  async closeAll(): Promise<void> {
    const all = [...this.sessions];
    this.sessions.clear();
    this.perCaller.clear();
    for (const [, session] of all) await session.close().catch(() => undefined);
  }

  /**
   * The least recently used idle session of the heaviest caller that holds at least as many
   * sessions as `caller` (the newcomer's own count included); undefined when none may go.
   */
  private victimFor(caller: string): [string, S] | undefined {
    const floor = this.perCaller.get(caller) ?? 0;
    let best: [string, S] | undefined;
    let bestHeld = -1;
    for (const entry of this.sessions) {
      if (!isIdle(entry[1])) continue;
      const held = this.perCaller.get(entry[1].caller) ?? 0;
      // Strictly heavier wins; among equals the first seen is the least recently used.
      if (held >= floor && held > bestHeld) {
        best = entry;
        bestHeld = held;
      }
    }
    return best;
  }

  private evict([id, session]: [string, S]): void {
    this.delete(id);
    void session.close().catch(() => undefined);
  }
}
