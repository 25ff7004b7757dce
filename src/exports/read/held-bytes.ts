/**
 * The bytes of a stream still needed, as the chunks they came in (never joined), addressed by
 * their position in the whole stream: what JsonBatchSplitter holds until it has parsed them.
 */

/** A text buffer up to this size is kept for the next one; a larger one (a huge entry) is not. */
const KEEP_SCRATCH = 8 << 20;

export class HeldBytes {
  /** The chunks, in order; the first starts at `start`. */
  readonly parts: Buffer[] = [];
  start = 0;
  /** Bytes taken so far (the position after the last chunk). */
  end = 0;
  private scratch = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.end += chunk.length;
  }

  /**
   * The bytes in [from, to) as one string, between `[` and `]` when `brackets`: copied into a
   * buffer kept for the next call (no buffer each time, no joined string for JSON.parse to
   * flatten again). Callers cut on ASCII bytes, so no character is split.
   */
  text(from: number, to: number, brackets: boolean): string {
    const pad = brackets ? 1 : 0;
    const length = to - from + 2 * pad;
    let out = this.scratch;
    if (out.length < length) {
      out = Buffer.allocUnsafe(length);
      if (length <= KEEP_SCRATCH) this.scratch = out;
    }
    let w = pad;
    let at = this.start;
    for (const part of this.parts) {
      const s = Math.max(from, at);
      const e = Math.min(to, at + part.length);
      if (e > s) w += part.copy(out, w, s - at, e - at);
      at += part.length;
    }
    if (brackets) {
      out[0] = 0x5b;
      out[w] = 0x5d;
    }
    return out.toString("utf8", 0, length);
  }

  /** The first byte at or after `from` that is not JSON whitespace, or -1 when none has come. */
  firstNonSpace(from: number): number {
    let at = this.start;
    for (const part of this.parts) {
      for (let i = Math.max(0, from - at); i < part.length; i++) {
        const b = part[i] as number;
        if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
      }
      at += part.length;
    }
    return -1;
  }

  /** Forgets the chunks that end at or before `keep`. */
  dropBefore(keep: number): void {
    let drop = 0;
    for (const part of this.parts) {
      if (this.start + part.length > keep) break;
      this.start += part.length;
      drop++;
    }
    if (drop > 0) this.parts.splice(0, drop);
  }
}
