/**
 * Splits a JSON byte stream into batches of whole entries and `JSON.parse`s each batch: V8's
 * parser is about twice as fast as a streaming tokenizer, and only a batch (plus one entry) is
 * ever held. The scan tracks strings, escapes and bracket depth over bytes; every structural
 * character is ASCII, so a multi-byte UTF-8 character (or one split across chunks) never looks
 * like one, and a batch always ends on an ASCII separator, never inside a character.
 *
 * Two document shapes, the ones the forecast exports have:
 * - `array`: `[e, e, ...]`, each `e` an entry;
 * - `object`: `{"name": [e, e, ...], ...}`, each array's items an entry named by its key; a
 *   member that is an object gives its values as entries, a scalar member gives none (the
 *   streaming parser's `$.*.*`).
 */

/** A single entry (or a non-array member) larger than the limit: refused, not an out-of-memory crash. */
export class JsonEntryTooLargeError extends Error {
  override readonly name = "JsonEntryTooLargeError";
  constructor(readonly limit: number) {
    super(`one entry of the JSON file is larger than ${Math.round(limit / 1048576)} MB`);
  }
}

export type BatchHandler = (name: string | undefined, entries: unknown[]) => void;

export interface BatchOptions {
  /** Parse once this many bytes of whole entries are waiting. */
  batchBytes?: number;
  /** The largest single entry accepted. */
  maxEntryBytes?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Where the scan is, outside the entries themselves. */
type Phase =
  | "start" // before the top-level bracket
  | "key" // in the top object: a member name or `}` next
  | "key-string" // inside a member name
  | "colon"
  | "value" // the member's value next
  | "entries" // inside an array of entries
  | "member" // inside a member value that is not an array (read whole)
  | "after" // after a member: `,` or `}` next
  | "done";

export class JsonBatchSplitter {
  private readonly batchBytes: number;
  private readonly maxEntryBytes: number;
  private phase: Phase = "start";
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes seen before the current chunk. */
  private base = 0;
  /** Chunks holding the bytes from `regionStart` on. */
  private parts: Buffer[] = [];
  private partsStart = 0;
  /** The unparsed run of entries (or the member value) starts here. */
  private regionStart = 0;
  /** The comma after the last whole entry of the region, or -1. */
  private lastBoundary = -1;
  private entryStart = 0;
  private entryHasContent = false;
  private sawComma = false;
  private name: string | undefined;
  private keyStart = 0;

  constructor(
    private readonly shape: "array" | "object",
    private readonly onBatch: BatchHandler,
    options: BatchOptions = {},
  ) {
    this.batchBytes = options.batchBytes ?? 1 << 20;
    this.maxEntryBytes = options.maxEntryBytes ?? 64 << 20;
  }

  /** True once the top-level value has closed. */
  get complete(): boolean {
    return this.phase === "done";
  }

  write(input: Uint8Array): void {
    if (this.phase === "done" || input.length === 0) return;
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.parts.push(chunk);
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      if (this.inString) {
        i = this.skipString(chunk, i);
        if (i >= n) break;
        continue;
      }
      const b = chunk[i] as number;
      if (this.phase === "entries") this.onEntriesByte(b, i);
      else if (this.phase === "member") this.onMemberByte(b, i);
      else this.onFrameByte(b, i);
      if ((this.phase as Phase) === "done") break;
    }
    this.base += n;
    this.checkEntrySize();
    if (this.phase === "entries" && this.lastBoundary - this.regionStart >= this.batchBytes) this.flush(this.lastBoundary);
    this.dropBefore(this.phase === "entries" || this.phase === "member" ? this.regionStart : this.phase === "key-string" ? this.keyStart : this.base);
  }

  /**
   * From `i` inside a string: the index of its closing quote (the string has ended there), or
   * the chunk's length when it goes on. Jumps between quotes with indexOf (native), counting the
   * backslashes before a quote to tell an escaped one.
   */
  private skipString(chunk: Buffer, i: number): number {
    const n = chunk.length;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    let from = i;
    for (;;) {
      const q = chunk.indexOf(QUOTE, from);
      if (q === -1) {
        let k = n - 1;
        while (k >= i && chunk[k] === BACKSLASH) k--;
        this.escaped = (n - 1 - k) % 2 === 1;
        return n;
      }
      let k = q - 1;
      while (k >= i && chunk[k] === BACKSLASH) k--;
      if ((q - 1 - k) % 2 === 0) {
        this.inString = false;
        if (this.phase === "key-string") this.endKey(q);
        return q;
      }
      from = q + 1;
    }
  }

  /** Ends the stream: a cut-off tail gives the whole entries before the cut. */
  end(): void {
    if (this.phase !== "entries") return;
    const end = this.base;
    try {
      this.flush(end);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      if (this.lastBoundary > this.regionStart) this.flush(this.lastBoundary);
    }
  }

  /** Bytes between entries of an array of entries. */
  private onEntriesByte(b: number, i: number): void {
    const entryDepth = this.shape === "array" ? 1 : 2;
    if (b === QUOTE) {
      this.inString = true;
      this.entryHasContent = true;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      this.depth++;
      this.entryHasContent = true;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      if (this.depth === entryDepth) {
        if (b !== CLOSE_ARRAY) throw new SyntaxError("a `}` closes an array");
        const pos = this.base + i;
        if (!this.entryHasContent && this.sawComma) throw new SyntaxError("an empty entry before `]`");
        this.depth--;
        this.flush(pos);
        this.regionStart = pos + 1;
        this.phase = this.shape === "array" ? "done" : "after";
        return;
      }
      this.depth--;
    } else if (b === COMMA && this.depth === entryDepth) {
      if (!this.entryHasContent) throw new SyntaxError("an empty entry before `,`");
      this.lastBoundary = this.base + i;
      this.entryStart = this.lastBoundary + 1;
      this.entryHasContent = false;
      this.sawComma = true;
    } else if (!isSpace(b)) this.entryHasContent = true;
  }

  /** Bytes of a member value that is not an array: kept whole until its `,` or `}`. */
  private onMemberByte(b: number, i: number): void {
    if (b === QUOTE) this.inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) this.depth++;
    else if ((b === CLOSE_ARRAY || b === CLOSE_OBJECT) && this.depth > 1) this.depth--;
    else if ((b === COMMA || b === CLOSE_OBJECT) && this.depth === 1) {
      const pos = this.base + i;
      const value: unknown = JSON.parse(this.text(this.regionStart, pos));
      if (typeof value === "object" && value !== null) this.onBatch(this.name, Object.values(value));
      this.regionStart = pos + 1;
      if (b === COMMA) this.phase = "key";
      else {
        this.depth = 0;
        this.phase = "done";
      }
    }
  }

  /** Bytes outside entries: the top bracket, member names, colons and commas. */
  private onFrameByte(b: number, i: number): void {
    if (isSpace(b)) return;
    const pos = this.base + i;
    switch (this.phase) {
      case "start":
        if (this.shape === "array" ? b !== OPEN_ARRAY : b !== OPEN_OBJECT) throw new SyntaxError(`unexpected ${JSON.stringify(String.fromCharCode(b))} at the start`);
        this.depth = 1;
        if (this.shape === "array") this.startEntries(pos + 1);
        else this.phase = "key";
        return;
      case "key":
        if (b === QUOTE) {
          this.phase = "key-string";
          this.inString = true;
          this.keyStart = pos + 1;
          return;
        }
        if (b === CLOSE_OBJECT && this.name === undefined) {
          this.phase = "done";
          return;
        }
        break;
      case "colon":
        if (b === COLON) {
          this.phase = "value";
          return;
        }
        break;
      case "value":
        if (b === OPEN_ARRAY) {
          this.depth = 2;
          this.startEntries(pos + 1);
        } else {
          this.phase = "member";
          this.regionStart = pos;
          this.onMemberByte(b, i);
        }
        return;
      case "after":
        if (b === COMMA) {
          this.phase = "key";
          return;
        }
        if (b === CLOSE_OBJECT) {
          this.depth = 0;
          this.phase = "done";
          return;
        }
        break;
      default:
        break;
    }
    throw new SyntaxError(`unexpected ${JSON.stringify(String.fromCharCode(b))} at byte ${pos}`);
  }

  private endKey(i: number): void {
    this.name = JSON.parse(`"${this.text(this.keyStart, this.base + i)}"`) as string;
    this.phase = "colon";
  }

  private startEntries(at: number): void {
    this.phase = "entries";
    this.regionStart = at;
    this.entryStart = at;
    this.lastBoundary = -1;
    this.entryHasContent = false;
    this.sawComma = false;
  }

  /** Parses the entries in [regionStart, end) and hands them on. */
  private flush(end: number): void {
    if (end > this.regionStart) {
      const text = this.text(this.regionStart, end);
      if (/\S/.test(text)) {
        const entries = JSON.parse(`[${text}]`) as unknown[];
        if (entries.length > 0) this.onBatch(this.name, entries);
      }
    }
    this.regionStart = end + 1;
  }

  /** The region's bytes as text (they begin and end on ASCII separators). */
  private text(from: number, to: number): string {
    const slices: Buffer[] = [];
    let at = this.partsStart;
    for (const part of this.parts) {
      const s = Math.max(from, at);
      const e = Math.min(to, at + part.length);
      if (e > s) slices.push(part.subarray(s - at, e - at));
      at += part.length;
    }
    return (slices.length === 1 ? (slices[0] as Buffer) : Buffer.concat(slices)).toString("utf8");
  }

  /** Forgets the bytes before `keep` (they have been parsed). */
  private dropBefore(keep: number): void {
    let drop = 0;
    for (const part of this.parts) {
      if (this.partsStart + part.length > keep) break;
      this.partsStart += part.length;
      drop++;
    }
    if (drop > 0) this.parts.splice(0, drop);
  }

  private checkEntrySize(): void {
    const from = this.phase === "entries" ? this.entryStart : this.phase === "member" ? this.regionStart : this.phase === "key-string" ? this.keyStart : this.base;
    if (this.base - from > this.maxEntryBytes) throw new JsonEntryTooLargeError(this.maxEntryBytes);
  }
}
