/**
 * Value-level helpers shared by every export normaliser: Clari's formatted numbers
 * (`$3,000,190.00`, `(1,200.50)`, `1.234,56 €`, `Yes`/`No`), time period labels and
 * dates, and the canonical forecast data types.
 */

/** The canonical forecast data types (one per value an entry can carry). */
export const DATA_TYPES = [
  "forecast",
  "quota",
  "forecast_updated",
  "adjustment",
  "crm_total",
  "crm_closed",
] as const;
export type CanonicalDataType = (typeof DATA_TYPES)[number];

/** Data types whose values are booleans (stored as 1/0 in the columnar table). */
export function isBooleanDataType(dataType: string): boolean {
  return dataType === "forecast_updated";
}

const DATA_TYPE_ALIASES: Record<string, CanonicalDataType> = {
  forecast: "forecast",
  forecastvalue: "forecast",
  forecastcall: "forecast",
  call: "forecast",
  quota: "quota",
  quotavalue: "quota",
  forecastupdated: "forecast_updated",
  updated: "forecast_updated",
  isupdated: "forecast_updated",
  adjustment: "adjustment",
  adjustmentvalue: "adjustment",
  adjusted: "adjustment",
  crmtotal: "crm_total",
  crmtotalvalue: "crm_total",
  aggregationtotal: "crm_total",
  total: "crm_total",
  crmclosed: "crm_closed",
  crmclosedvalue: "crm_closed",
  closedtotal: "crm_closed",
  closed: "crm_closed",
};

/**
 * Maps a Data Type cell ("Forecast Value", "QUOTA", "crm_total", "CRM Closed", ...) to the
 * canonical name. Unknown labels become a snake_case version of themselves.
 */
export function canonicalDataType(label: string): { dataType: string; known: boolean } {
  const key = label.toLowerCase().replace(/[^a-z0-9]/g, "");
  const known = DATA_TYPE_ALIASES[key];
  if (known) return { dataType: known, known: true };
  const snake = label
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return { dataType: snake || "unknown", known: false };
}

/** The result of {@link parseClariValue}. */
export interface ParsedClariValue {
  /** The number, the boolean, or null for an empty / not-applicable cell. */
  value: number | boolean | null;
  /** The currency symbol or ISO code seen in the text ("$", "€", "USD"), else null. */
  currency: string | null;
  /** True when the text ended with "%" (the number is kept as written: "12.5%" -> 12.5). */
  percent: boolean;
  /** True when the text was not empty yet could not be read as a number or a boolean. */
  invalid: boolean;
}

const NULL_WORDS = new Set(["", "-", "--", "—", "–", "n/a", "na", "null", "none", "nan", "undefined"]);
const TRUE_WORDS = new Set(["yes", "true", "y"]);
const FALSE_WORDS = new Set(["no", "false", "n"]);
// Currency prefixes/suffixes: multi-character forms first so "US$" wins over "$".
const CURRENCY_RE =
  /^(?:[A-Z]{3}|US\$|CA\$|C\$|A\$|AU\$|NZ\$|HK\$|S\$|R\$|MX\$|CHF|Fr\.|kr|zł|[$€£¥￥₹₩₽₺₪฿₫₴₦₱¢])/;
const CURRENCY_SUFFIX_RE =
  /(?:[A-Z]{3}|US\$|CHF|kr|zł|[$€£¥￥₹₩₽₺₪฿₫₴₦₱¢])$/;
const PLAIN_NUMBER_RE = /^-?\d+(?:\.\d+)?$/;
const SPACES_RE = /[\s\u00a0\u202f\u2009']/g;
const SCALE: Record<string, number> = { k: 1e3, m: 1e6, mm: 1e6, b: 1e9, bn: 1e9 };

function nullValue(invalid = false): ParsedClariValue {
  return { value: null, currency: null, percent: false, invalid };
}

/**
 * Reads one Clari cell value. Accepts numbers and booleans as they are, and strings formatted
 * the way Clari (and spreadsheets) write them:
 * `$3,000,190.00` -> 3000190; `(1,200.50)` and `($1,200.50)` -> -1200.5; `-$5.00` -> -5;
 * `€1.234,56` / `1.234,56 €` / `1 234,56` -> 1234.56 (European decimal comma, used only when it
 * is unambiguous: both separators present, or one comma not followed by exactly three digits);
 * `USD 1,000` -> 1000 (currency "USD"); `12.5%` -> 12.5; `$1.2M` -> 1200000;
 * `Yes`/`No`/`true`/`false` -> boolean; `''`, `-`, `N/A` -> null.
 * A lone comma followed by exactly three digits ("1,234") is read as a thousands separator.
 */
export function parseClariValue(input: unknown): ParsedClariValue {
  if (input === null || input === undefined) return nullValue();
  if (typeof input === "number") return Number.isFinite(input) ? { value: input, currency: null, percent: false, invalid: false } : nullValue();
  if (typeof input === "boolean") return { value: input, currency: null, percent: false, invalid: false };
  if (typeof input !== "string") return nullValue(true);

  let s = input.trim();
  if (PLAIN_NUMBER_RE.test(s)) return { value: Number(s), currency: null, percent: false, invalid: false };
  const lower = s.toLowerCase();
  if (NULL_WORDS.has(lower)) return nullValue();
  if (TRUE_WORDS.has(lower)) return { value: true, currency: null, percent: false, invalid: false };
  if (FALSE_WORDS.has(lower)) return { value: false, currency: null, percent: false, invalid: false };

  let negative = false;
  let currency: string | null = null;
  let percent = false;

  // Peel signs, parentheses, currency and percent from both ends, in any order.
  for (let guard = 0; guard < 8; guard++) {
    const before = s;
    s = s.trim();
    if (s.startsWith("(") && s.endsWith(")")) {
      negative = !negative;
      s = s.slice(1, -1);
      continue;
    }
    if (s.startsWith("-") || s.startsWith("−")) {
      negative = !negative;
      s = s.slice(1);
      continue;
    }
    if (s.startsWith("+")) {
      s = s.slice(1);
      continue;
    }
    if (s.endsWith("-") && s.length > 1) {
      negative = !negative;
      s = s.slice(0, -1);
      continue;
    }
    if (s.endsWith("%")) {
      percent = true;
      s = s.slice(0, -1);
      continue;
    }
    const pre = CURRENCY_RE.exec(s);
    if (pre && !/^\d/.test(s)) {
      currency ??= pre[0];
      s = s.slice(pre[0].length);
      continue;
    }
    const post = CURRENCY_SUFFIX_RE.exec(s);
    if (post && /\d\s*$/.test(s.slice(0, -post[0].length)) && post.index > 0) {
      currency ??= post[0];
      s = s.slice(0, -post[0].length);
      continue;
    }
    if (s === before) break;
  }

  // Magnitude suffix: 1.2M, 500k, 3bn.
  let scale = 1;
  const suffix = /^(.*\d)\s*(k|m|mm|b|bn)$/i.exec(s);
  if (suffix && suffix[1] !== undefined && suffix[2] !== undefined) {
    scale = SCALE[suffix[2].toLowerCase()] ?? 1;
    s = suffix[1];
  }

  const body = s.replace(SPACES_RE, "");
  const n = parseNumericBody(body);
  if (n === null) return nullValue(true);
  let value = n * scale;
  if (negative) value = -value;
  if (Object.is(value, -0)) value = 0;
  return { value, currency, percent, invalid: false };
}

/** Parses digits with "," and "." separators, deciding which one is the decimal mark. */
function parseNumericBody(body: string): number | null {
  if (body === "") return null;
  if (/^\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(body)) return Number(body);
  if (!/^[\d.,]+$/.test(body) || !/\d/.test(body)) return null;
  const lastComma = body.lastIndexOf(",");
  const lastDot = body.lastIndexOf(".");
  let normalised: string;
  if (lastComma >= 0 && lastDot >= 0) {
    // Both present: the later one is the decimal mark.
    normalised =
      lastComma > lastDot ? body.replace(/\./g, "").replace(",", ".") : body.replace(/,/g, "");
    if ((normalised.match(/\./g) ?? []).length > 1 || /,/.test(normalised)) return null;
  } else if (lastComma >= 0) {
    const groups = body.split(",");
    const thousands = groups.length > 1 && groups.slice(1).every((g) => g.length === 3) && (groups[0] ?? "").length > 0;
    if (thousands) normalised = groups.join("");
    else if (groups.length === 2) normalised = `${groups[0] === "" ? "0" : groups[0]}.${groups[1]}`;
    else return null;
  } else if (lastDot >= 0) {
    const groups = body.split(".");
    if (groups.length === 2) normalised = body;
    else if (groups.slice(1).every((g) => g.length === 3)) normalised = groups.join("");
    else return null;
  } else {
    normalised = body;
  }
  if (!/^\d*(?:\.\d+)?$/.test(normalised) || normalised === "" || normalised === ".") return null;
  const n = Number(normalised);
  return Number.isFinite(n) ? n : null;
}

/**
 * Maps a quarter label to Clari's timePeriod id: "2026_Q4", "Q4 2026", "Q4 FY 2026", "FY2026 Q4",
 * "2026 Q4", "Q4-FY26" -> "2026_Q4". Returns undefined for anything that is not a quarter
 * ("July FY 2023", "FY 2026").
 */
export function parseTimePeriodLabel(label: string | null | undefined): string | undefined {
  if (!label) return undefined;
  const tokens = label
    .trim()
    .toUpperCase()
    .replace(/([A-Z])(\d)/g, "$1 $2")
    .replace(/(\d)([A-Z])/g, "$1 $2")
    .split(/[\s_\-/,.']+/)
    .filter((t) => t !== "");
  let quarter: string | undefined;
  let year: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === "Q" && /^[1-4]$/.test(tokens[i + 1] ?? "")) {
      if (quarter) return undefined;
      quarter = tokens[++i];
    } else if (t === "FY" || t === "CY") {
      continue;
    } else if (/^\d{4}$/.test(t) || (/^\d{2}$/.test(t) && (tokens[i - 1] === "FY" || tokens[i - 1] === "CY"))) {
      if (year) return undefined;
      year = t.length === 2 ? `20${t}` : t;
    } else {
      return undefined;
    }
  }
  return quarter && year ? `${year}_Q${quarter}` : undefined;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Normalises a date to ISO `YYYY-MM-DD`: accepts `MM/DD/YYYY` (Clari's export format),
 * `YYYY-MM-DD`, an ISO date-time, `TF:YYYY-MM-DD`, or epoch milliseconds. Returns the trimmed
 * input unchanged when it is none of those, and "" for empty input.
 */
export function toIsoDate(input: unknown): string {
  if (input === null || input === undefined) return "";
  if (typeof input === "number") {
    if (!Number.isFinite(input)) return "";
    return new Date(input < 1e11 ? input * 1000 : input).toISOString().slice(0, 10);
  }
  const s = String(input).trim();
  if (s === "") return "";
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (m) return `${m[3]}-${pad2(Number(m[1]))}-${pad2(Number(m[2]))}`;
  m = /^(?:TF:)?(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(s);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  if (/^\d{10,13}$/.test(s)) return toIsoDate(Number(s));
  return s;
}

/**
 * Normalises a timestamp (ISO string, epoch ms or epoch seconds, as number or numeric string)
 * to an ISO date-time string; null when it cannot be read.
 */
export function toIsoTimestamp(input: unknown): string | null {
  if (input === null || input === undefined || input === "") return null;
  let ms: number;
  if (typeof input === "number") ms = input;
  else if (typeof input === "string" && /^-?\d+(?:\.\d+)?$/.test(input.trim())) ms = Number(input.trim());
  else if (typeof input === "string") {
    const t = Date.parse(input);
    if (Number.isNaN(t)) return null;
    return new Date(t).toISOString();
  } else return null;
  if (!Number.isFinite(ms)) return null;
  if (Math.abs(ms) < 1e11) ms *= 1000; // epoch seconds
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
