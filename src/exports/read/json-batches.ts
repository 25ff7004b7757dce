/**
 * Splits a JSON byte stream into batches of whole entries and `JSON.parse`s each batch: V8's
 * parser is about twice as fast as a streaming tokenizer, and only a batch (plus one entry) is
 * ever held. Every structural character is ASCII, so a multi-byte UTF-8 character (or one split
 * across chunks) never looks like one, and a batch always ends on an ASCII separator.
 *
 * An array of entries is cut by guesses, its bytes not scanned at all: a comma that looks like
 * one between entries (the closing byte of the array's first entry before it, its opening byte
 * after: `}` `,` `{`) ends a batch when `JSON.parse` accepts `[` + the bytes before it + `]`. It
 * accepts only a comma that is one: the bytes from the batch's start (always an entry's) read the
 * same to it as to a parser of the whole file, and the `]` closes only at the entries' depth,
 * outside any string. A refused guess (the array's end, bad JSON, no such comma within
 * GUESS_BATCHES batches) scans the array's held bytes from the batch's start instead, tracking
 * strings, escapes and bracket depth, as the rest of the document is read.
 *
 * Two document shapes, the ones the forecast exports have:
 * - `array`: `[e, e, ...]`, each `e` an entry;
 * - `object`: `{"name": [e, e, ...], ...}`, each array's items an entry named by its key; a
 *   member that is an object gives its values as entries, a scalar member gives none (the
 *   streaming parser's `$.*.*`).
 */

import { HeldBytes } from "./held-bytes.js";

/** A single entry (or a non-array member) larger than the limit: refused, not an out-of-memory crash. */
export class JsonEntryTooLargeError extends Error {
  override readonly name = "JsonEntryTooLargeError";
  constructor(readonly limit: number) {
    super(`one entry of the JSON file is larger than ${Math.round(limit / 1048576)} MB`);
  }
}

export type BatchHandler = (name: string | undefined, entries: unknown[]) => void;

export interface BatchOptions {
  /** The bytes of whole entries parsed at once, at most (unless one entry is larger). */
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
/** Past this many batches' bytes without a guessed cut, an array is scanned. */
const GUESS_BATCHES = 4;

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
  /** The bytes from `regionStart` (or the member name's start) on. */
  private readonly held = new HeldBytes();
  /** Where the chunk being scanned starts. */
  private at = 0;
  /** The unparsed run of entries (or the member value) starts here. */
  private regionStart = 0;
  /** The comma after the last whole entry of the region, or -1. */
  private lastBoundary = -1;
  private entryStart = 0;
  private entryHasContent = false;
  private sawComma = false;
  private name: string | undefined;
  private keyStart = 0;
  /** The region's bytes are not scanned: batches are cut where a guess holds (see the top). */
  private guessing = false;
  /** False once the stream has ended: what is left is scanned. */
  private mayGuess = true;
  /** The bytes that open and close the array's first entry, -1 until it has come. */
  private entryOpen = -1;
  private entryClose = -1;

  constructor(
    private readonly shape: "array" | "object",
    private readonly onBatch: BatchHandler,
    options: BatchOptions = {},
  ) {
    this.batchBytes = Math.max(1, options.batchBytes ?? 1 << 20);
    this.maxEntryBytes = options.maxEntryBytes ?? 64 << 20;
  }

  /** True once the top-level value has closed. */
  get complete(): boolean {
    return this.phase === "done";
  }

  write(input: Uint8Array): void {
    if (this.phase === "done" || input.length === 0) return;
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const chunkStart = this.held.end;
    this.held.push(chunk);
    if (!this.guessing) this.scanPart(chunk, 0, chunkStart);
    // A refused guess scans, and that scan may reach the next array, which is guessed again.
    while (this.guessing && this.guess(chunk, chunkStart));
    this.checkEntrySize();
    if (this.phase === "entries" && this.lastBoundary - this.regionStart >= this.batchBytes) this.flush(this.lastBoundary);
    this.held.dropBefore(this.phase === "entries" || this.phase === "member" ? this.regionStart : this.phase === "key-string" ? this.keyStart : this.held.end);
  }

  /** Ends the stream: a cut-off tail gives the whole entries before the cut. */
  end(): void {
    this.mayGuess = false;
    if (this.guessing) this.scanGuessed();
    if (this.phase !== "entries") return;
    try {
      this.flush(this.held.end);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      if (this.lastBoundary > this.regionStart) this.flush(this.lastBoundary);
    }
  }

  /**
   * Cuts the region at the last comma between entries in this chunk within a batch of the
   * region's start (else the first past it), each cut checked by JSON.parse, so rows come as the
   * bytes do. True when a guess was refused and the bytes were scanned instead.
   */
  private guess(chunk: Buffer, chunkStart: number): boolean {
    const limit = Math.min(this.batchBytes * GUESS_BATCHES, this.maxEntryBytes);
    for (;;) {
      if (this.entryOpen < 0 && !this.learnEntryBytes()) return this.scanGuessed();
      const from = Math.max(chunkStart, this.regionStart + 1) - chunkStart;
      const batchEnd = Math.min(this.held.end, this.regionStart + this.batchBytes) - chunkStart;
      const floor = Math.max(0, this.regionStart - chunkStart);
      let cut = this.findCut(chunk, batchEnd - 1, from - 1, floor);
      if (cut < 0) cut = this.findCut(chunk, Math.max(from, batchEnd), Math.min(this.held.end, this.regionStart + limit) - chunkStart, floor);
      if (cut < 0) break;
      let entries: unknown[];
      try {
        entries = JSON.parse(this.held.text(this.regionStart, chunkStart + cut, true)) as unknown[];
      } catch {
        return this.scanGuessed();
      }
      this.regionStart = this.entryStart = chunkStart + cut + 1;
      this.sawComma = true;
      if (entries.length > 0) this.onBatch(this.name, entries);
    }
    return this.held.end - this.regionStart > limit ? this.scanGuessed() : false;
  }

  /** Reads the first entry's opening byte once it has come; false when that is not `{`, `[` or `"` (not guessed). */
  private learnEntryBytes(): boolean {
    const b = this.held.firstNonSpace(this.regionStart);
    if (b < 0) return true;
    this.entryOpen = b;
    this.entryClose = b === OPEN_OBJECT ? CLOSE_OBJECT : b === OPEN_ARRAY ? CLOSE_ARRAY : b === QUOTE ? QUOTE : -1;
    return this.entryClose >= 0;
  }

  /**
   * The first comma from chunk[from] towards chunk[to] (excluded; backwards when to < from) with
   * the entries' closing byte before it and their opening byte after (spaces aside), or -1.
   */
  private findCut(chunk: Buffer, from: number, to: number, floor: number): number {
    if (this.entryOpen < 0) return -1;
    const back = to < from;
    for (let j = from; back ? j > to : j < to; j += back ? -1 : 1) {
      j = back ? chunk.lastIndexOf(COMMA, j) : chunk.indexOf(COMMA, j);
      if (j === -1 || (back ? j <= to : j >= to)) return -1;
      let p = j - 1;
      while (p >= floor && isSpace(chunk[p] as number)) p--;
      if (p < floor || chunk[p] !== this.entryClose) continue;
      let q = j + 1;
      while (q < chunk.length && isSpace(chunk[q] as number)) q++;
      if (chunk[q] === this.entryOpen) return j;
    }
    return -1;
  }

  /** Stops guessing in this array: scans its held bytes from the batch's start, as if it had never guessed. */
  private scanGuessed(): true {
    this.guessing = false;
    this.entryStart = this.regionStart;
    this.entryHasContent = false;
    this.lastBoundary = -1;
    this.scan(this.regionStart);
    return true;
  }

  /** Scans the held bytes from `from` on, until they end, the value closes or guessing starts. */
  private scan(from: number): void {
    let at = this.held.start;
    for (const part of this.held.parts) {
      if (at + part.length > from && this.scanPart(part, Math.max(0, from - at), at)) return;
      at += part.length;
    }
  }

  /** True when the scan stops before the chunk's end (the value closed, or guessing started). */
  private scanPart(chunk: Buffer, from: number, at: number): boolean {
    this.at = at;
    const n = chunk.length;
    for (let i = from; i < n; i++) {
      if (this.inString) {
        i = this.skipString(chunk, i);
        continue;
      }
      const b = chunk[i] as number;
      if (this.phase === "entries") this.onEntriesByte(b, i);
      else if (this.phase === "member") this.onMemberByte(b, i);
      else {
        this.onFrameByte(b, i);
        if (this.guessing) return true;
      }
      if ((this.phase as Phase) === "done") return true;
    }
    return false;
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
        const pos = this.at + i;
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
      this.lastBoundary = this.at + i;
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
      const pos = this.at + i;
      const value: unknown = JSON.parse(this.held.text(this.regionStart, pos, false));
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
    const pos = this.at + i;
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
    this.name = JSON.parse(`"${this.held.text(this.keyStart, this.at + i, false)}"`) as string;
    this.phase = "colon";
  }

  private startEntries(at: number): void {
    this.phase = "entries";
    this.regionStart = at;
    this.entryStart = at;
    this.lastBoundary = -1;
    this.entryHasContent = false;
    this.sawComma = false;
    this.guessing = this.mayGuess;
    this.entryOpen = this.entryClose = -1;
  }

  /** Parses the entries in [regionStart, end) and hands them on. */
  private flush(end: number): void {
    const entries = end > this.regionStart ? (JSON.parse(this.held.text(this.regionStart, end, true)) as unknown[]) : [];
    // An empty batch still names its member: an export's empty entries table is a table.
    this.onBatch(this.name, entries);
    this.regionStart = end + 1;
  }

  private checkEntrySize(): void {
    const from = this.phase === "entries" ? this.entryStart : this.phase === "member" ? this.regionStart : this.phase === "key-string" ? this.keyStart : this.held.end;
    if (this.held.end - from > this.maxEntryBytes) throw new JsonEntryTooLargeError(this.maxEntryBytes);
  }
}
