/**
 * How the view writes numbers: whole money where a person reads a figure, compact money on axes
 * ($3.4M), and attainment that is never rounded up to 100% (99.86% of quota is a miss, not a hit).
 */

/** $3.4M, $850K, $999: an axis label, never a figure to quote. */
export function compactMoney(value: number, currency = "USD", locale?: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency, notation: "compact", minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(value);
  } catch {
    return new Intl.NumberFormat(locale, { notation: "compact", minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(value);
  }
}

/**
 * A share of quota as a percentage with one decimal (94.3%). One decimal never turns a miss into
 * 100%: a share under 1 that would read 100.0% is written with two decimals, cut, not rounded (99.99%).
 */
export function attainment(ratio: number): string {
  const pct = ratio * 100;
  const one = pct.toFixed(1);
  if (ratio < 1 && Number(one) >= 100) return `${(Math.floor(pct * 100) / 100).toFixed(2)}%`;
  return `${one}%`;
}

/** An axis top at or above max that reads well (its half too): 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}
