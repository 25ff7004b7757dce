/**
 * The table of stateful HTTP sessions and its eviction policy. The table never refuses a new
 * session while an idle one can go: a client at its own cap gives up its least recently used idle
 * session; a full table takes the same client's least recently used idle session if it has one,
 * otherwise everyone's least recently used idle session. A session with a request in flight or an
 * open GET stream is never evicted; only when every candidate is busy does `admit` say no.
 */

export interface SessionEntry {
  /** Who opened it (remote address and User-Agent): the unit of the per-client cap. */
  readonly client: string;
  lastSeen: number;
  /** Requests being answered (POST, DELETE; an SSE answer counts until it ends). */
  inFlight: number;
  /** Open GET streams (server-to-client notifications): a listening session is not idle. */
  openStreams: number;
  /** Ends the session (closes its McpServer); the table has already forgotten it. */
  close(): Promise<void>;
}

export const isIdle = (s: SessionEntry): boolean => s.inFlight === 0 && s.openStreams === 0;

export class SessionTable<S extends SessionEntry> {
  /** Insertion order is recency order: `touch` moves a session to the end. */
  private readonly sessions = new Map<string, S>();
  private readonly perClient = new Map<string, number>();
  /** Slots promised to initializes still being answered, in all and by client. */
  private reserved = 0;
  private readonly pending = new Map<string, number>();

  constructor(
    readonly capacity: number,
    readonly clientCap: number,
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

  /** Marks a session used now (it becomes the most recently used); an ended one stays out. */
  touch(id: string, session: S, now = Date.now()): void {
    session.lastSeen = now;
    if (this.sessions.get(id) !== session) return;
    this.sessions.delete(id);
    this.sessions.set(id, session);
  }

  /**
   * Makes room for one new session of `client`, evicting (and closing) idle sessions as the policy
   * says, and reserves its slot. False when every candidate is busy: the caller answers 503.
   * Each true must be followed by `add` or `release`.
   */
  admit(client: string): boolean {
    if ((this.perClient.get(client) ?? 0) + this.pendingOf(client) >= this.clientCap) {
      const own = this.oldestIdle(client);
      if (!own) return false;
      this.evict(own);
    }
    if (this.sessions.size + this.reserved >= this.capacity) {
      const victim = this.oldestIdle(client) ?? this.oldestIdle();
      if (!victim) return false;
      this.evict(victim);
    }
    this.reserved += 1;
    this.pending.set(client, this.pendingOf(client) + 1);
    return true;
  }

  /** Turns a reservation from `admit` into a session. */
  add(id: string, session: S): void {
    this.release(session.client);
    this.sessions.set(id, session);
    this.perClient.set(session.client, (this.perClient.get(session.client) ?? 0) + 1);
  }

  /** Gives back a reservation that did not become a session (the initialize failed). */
  release(client: string): void {
    const pending = this.pendingOf(client);
    if (pending === 0) return;
    this.reserved -= 1;
    if (pending === 1) this.pending.delete(client);
    else this.pending.set(client, pending - 1);
  }

  /** Forgets a session (it ended); does not close it. */
  delete(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const count = (this.perClient.get(session.client) ?? 1) - 1;
    if (count === 0) this.perClient.delete(session.client);
    else this.perClient.set(session.client, count);
  }

  /** Closes idle sessions last used before `cutoff` (clients that vanished without DELETE). */
  sweep(cutoff: number): void {
    for (const [id, session] of [...this.sessions]) if (isIdle(session) && session.lastSeen < cutoff) this.evict([id, session]);
  }

  /** Closes every session (server shutdown). */
  async closeAll(): Promise<void> {
    const all = [...this.sessions];
    this.sessions.clear();
    this.perClient.clear();
    for (const [, session] of all) await session.close().catch(() => undefined);
  }

  private pendingOf(client: string): number {
    return this.pending.get(client) ?? 0;
  }

  private oldestIdle(client?: string): [string, S] | undefined {
    for (const entry of this.sessions) {
      if ((client === undefined || entry[1].client === client) && isIdle(entry[1])) return entry;
    }
    return undefined;
  }

  private evict([id, session]: [string, S]): void {
    this.delete(id);
    void session.close().catch(() => undefined);
  }
}
