/**
 * The dictionaries of the columnar row model: every string is stored once and rows carry its
 * dense integer code; attributes that always travel together are one code per distinct pair.
 */

/** An append-only string dictionary: string <-> dense integer code. */
export class StringDictionary {
  readonly values: string[] = [];
  /** string -> code; left out when the dictionary is posted to another thread (see dropIndex). */
  private index: Map<string, number> | undefined = new Map<string, number>();
  // The last string interned: rows in file order often repeat it (who updated a user's entries),
  // and comparing it costs less than hashing a string that was just parsed.
  private last: string | undefined;
  private lastCode = 0;

  intern(s: string): number {
    if (s === this.last) return this.lastCode;
    const index = this.indexed();
    let code = index.get(s);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(s);
      index.set(s, code);
    }
    this.last = s;
    this.lastCode = code;
    return code;
  }

  lookup(s: string): number | undefined {
    return this.indexed().get(s);
  }

  /**
   * Leaves the string -> code index out until it is next needed (then rebuilt from the values): a
   * finished table posted to the server's thread travels without it. Cloning a 5M-row table's
   * indexes (~43,000 people, five Maps of them) held the receiving thread ~100 ms, and it is
   * seldom asked for again.
   */
  dropIndex(): void {
    this.index = undefined;
    this.last = undefined;
  }

  private indexed(): Map<string, number> {
    return (this.index ??= new Map(this.values.map((v, code) => [v, code])));
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
  /** `first\0second` -> code; left out while posted to another thread (dropIndex). */
  private index: Map<string, number> | undefined = new Map<string, number>();

  constructor(
    private readonly firsts: StringDictionary,
    private readonly seconds: StringDictionary,
  ) {}

  get count(): number {
    return this.count_;
  }

  intern(first: string, second: string): number {
    const key = `${first}\u0000${second}`;
    const index = (this.index ??= this.rebuiltIndex());
    let code = index.get(key);
    if (code !== undefined) return code;
    code = this.count_++;
    index.set(key, code);
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

  /** Leaves the pair index out until it is next needed (StringDictionary.dropIndex). */
  dropIndex(): void {
    this.index = undefined;
  }

  private rebuiltIndex(): Map<string, number> {
    const index = new Map<string, number>();
    for (let code = 0; code < this.count_; code++) {
      const key = `${this.first(code)}\u0000${this.second(code)}`;
      if (!index.has(key)) index.set(key, code);
    }
    return index;
  }

  first(code: number): string {
    return this.firsts.get(this.firstCodes[code] ?? 0);
  }

  second(code: number): string {
    return this.seconds.get(this.secondCodes[code] ?? 0);
  }
}
