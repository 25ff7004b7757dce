/**
 * Structured values scrubbed of secrets: every string leaf (and key), and a secret split across a
 * value's string fields, found by joining them in order (redact.ts finds the variants).
 */
import { MARKER, variantRanges, redactSecrets } from "./redact.js";

interface Leaf {
  value: string;
  set: (v: string) => void;
}

/**
 * A secret split across fields: concatenate the strings in order; every string that takes part in
 * a variant found there is replaced by the marker.
 */
function redactSplit(strings: Leaf[]): void {
  if (strings.length < 2) return;
  const starts: number[] = [];
  let joined = "";
  for (const s of strings) {
    starts.push(joined.length);
    joined += s.value;
  }
  for (const [start, end] of variantRanges(joined)) {
    strings.forEach((s, i) => {
      const from = starts[i]!;
      if (from < end && from + s.value.length > start) s.set(MARKER);
    });
  }
}

/** Every string value in the data, depth first in document order, with a way to replace it. */
function leaves(value: unknown, out: Leaf[] = []): Leaf[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => (typeof item === "string" ? out.push({ value: item, set: (s) => (value[i] = s) }) : leaves(item, out)));
  } else if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(record)) {
      if (typeof item === "string") out.push({ value: item, set: (s) => (record[key] = s) });
      else leaves(item, out);
    }
  }
  return out;
}

/**
 * Scrub structured data with JSON semantics (the result is what JSON.stringify would carry:
 * toJSON applied, undefined and functions dropped): every string value and object key goes
 * through redactSecrets; then a secret split across one object's fields, or across the strings of
 * the whole value in document order (an error's message in one place, its details in another),
 * takes every string it touches.
 */
export function redactDeep<T>(value: T): T {
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  const out = JSON.parse(json, function (this: unknown, _key: string, v: unknown) {
    if (typeof v === "string") return redactSecrets(v);
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) {
      redactSplit(v.flatMap((item, i) => (typeof item === "string" ? [{ value: item, set: (s: string) => (v[i] = s) }] : [])));
      return v;
    }
    const fields: Record<string, unknown> = {};
    // defineProperty: a "__proto__" key stays a plain field, as JSON.parse made it.
    for (const [key, item] of Object.entries(v as Record<string, unknown>)) Object.defineProperty(fields, redactSecrets(key), { value: item, enumerable: true, writable: true, configurable: true });
    redactSplit(Object.entries(fields).flatMap(([key, item]) => (typeof item === "string" ? [{ value: item, set: (s: string) => (fields[key] = s) }] : [])));
    return fields;
  }) as T;
  redactSplit(leaves(out));
  return out;
}

/**
 * redactDeep for a small structure whose strings may be shown joined in any order (an error body:
 * its message, details and code become one message): besides what redactDeep finds, a secret
 * split across any two of its strings, in either order, takes both.
 */
export function redactFields<T>(value: T): T {
  const out = redactDeep(value);
  const all = leaves(out);
  if (all.length > 64) return out;
  const values = all.map((leaf) => leaf.value);
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < values.length; j++) {
      if (i === j) continue;
      const [a, b] = [values[i]!, values[j]!];
      if (variantRanges(a + b).some(([start, end]) => start < a.length && end > a.length)) {
        all[i]!.set(MARKER);
        all[j]!.set(MARKER);
      }
    }
  }
  return out;
}
