/**
 * The dictionaries of the columnar row model: every string is stored once and rows carry its
 * dense integer code; attributes that always travel together are one code per distinct pair.
 */

/** An append-only string dictionary: string <-> dense integer code. */
export class StringDictionary {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  // The last string interned: rows in file order often repeat it (who updated a user's entries),
  // and comparing it costs less than hashing a string that was just parsed.
  private last: string | undefined;
  private lastCode = 0;

  intern(s: string): number {
    if (s === this.last) return this.lastCode;
    let code = this.index.get(s);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(s);
      this.index.set(s, code);
    }
    this.last = s;
    this.lastCode = code;
    return code;
  }

  lookup(s: string): number | undefined {
    return this.index.get(s);
  }

  get(code: number): string {
    return this.values[code] ?? "";
  }

  get size(): number {
    return this.values.length;
  }
}

/** Growable Uint32 list for tuple attribute codes. */
export function growU32(a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const next = new Uint32Array(Math.max(need, Math.ceil(a.length * 1.5) + 16));
  next.set(a);
  return next;
}

/** Interns (first, second) string pairs that always travel together: one code per distinct pair. */
export class PairDictionary {
  private firstCodes = new Uint32Array(16);
  private secondCodes = new Uint32Array(16);
  private count_ = 0;
  private readonly index = new Map<string, number>();

  constructor(
    private readonly firsts: StringDictionary,
    private readonly seconds: StringDictionary,
  ) {}

  get count(): number {
    return this.count_;
  }

  intern(first: string, second: string): number {
    const key = `${first}\u0000${second}`;
    let code = this.index.get(key);
    if (code !== undefined) return code;
    code = this.count_++;
    this.index.set(key, code);
    this.firstCodes = growU32(this.firstCodes, code + 1);
    this.secondCodes = growU32(this.secondCodes, code + 1);
    this.set(code, first, second);
    return code;
  }

  /** Rewrites a pair in place (readers resolve names after the rows are in). */
  set(code: number, first: string, second: string): void {
    this.firstCodes[code] = this.firsts.intern(first);
    this.secondCodes[code] = this.seconds.intern(second);
  }

  first(code: number): string {
    return this.firsts.get(this.firstCodes[code] ?? 0);
  }

  second(code: number): string {
    return this.seconds.get(this.secondCodes[code] ?? 0);
  }
}
