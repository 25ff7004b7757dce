/**
 * "The same export" as one string: an export spends scarce quota, so two requests that ask for
 * the same data must compare equal however they were written. Keys are sorted, absent values
 * dropped, and lists of plain values (typesToExport, activityTypes) are sets: sorted, repeats
 * removed. Defaults are applied by the tools' schemas before a request gets here.
 */
export function requestKey(kind: string, request: Record<string, unknown>): string {
  return `${kind}:${JSON.stringify(canonical(request))}`;
}

export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    const plain = items.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v));
    return plain ? [...new Set(items)].sort((a, b) => String(a).localeCompare(String(b))) : items;
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
