/**
 * Group numbers by key, in an open-addressing table of typed arrays: a Map keyed by numbers this
 * large cost ~0.4 µs a row (half the pivot of a 500k-row export); this is a few times faster.
 */
export class KeyGroups {
  private readonly keys: Float64Array;
  private readonly groups: Int32Array;
  private readonly mask: number;
  count = 0;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Float64Array(size);
    this.groups = new Int32Array(size).fill(-1);
    this.mask = size - 1;
  }

  /** The group of `key` (a non-negative safe integer): a new one, numbered in first-seen order, when unseen. */
  groupOf(key: number): number {
    const low = key >>> 0;
    const high = (key / 4294967296) >>> 0;
    // murmur3's finaliser over both halves: keys that differ only in high bits spread too.
    let h = low ^ Math.imul(high, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    let slot = (h ^ (h >>> 16)) & this.mask;
    for (;;) {
      const g = this.groups[slot] as number;
      if (g === -1) {
        this.keys[slot] = key;
        this.groups[slot] = this.count;
        return this.count++;
      }
      if (this.keys[slot] === key) return g;
      slot = (slot + 1) & this.mask;
    }
  }
}
