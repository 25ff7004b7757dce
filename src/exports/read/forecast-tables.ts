/**
 * Reader for the JSON "tables" forecast shape: `{entries, users, fields, timePeriods, timeFrames}`.
 *
 * The tables may come in any order (entries before users, for example), so entries are written
 * to the columnar table at once with reader-local codes for userId, fieldId, timePeriodId and
 * timeFrameId; names, roles, labels, dates and week indices are resolved in one pass at the end.
 */

import type { ForecastTable } from "../table/forecast-table.js";
import { NOT_AN_EXPORT } from "./damage.js";
import { JsonBatchSplitter } from "./json-batches.js";
import { parseClariValue, parseTimePeriodLabel, toIsoDate } from "./values.js";

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

interface UserInfo {
  name: string;
  email: string;
  crmId: string;
  hierarchyId: string;
  hierarchyName: string;
  parentHierarchyId: string;
  parentHierarchyName: string;
}

interface PeriodInfo {
  label: string;
  startDate: string;
  endDate: string;
}

interface FrameInfo {
  startDate: string;
  endDate: string;
}


/** An epoch-ms number, a numeric string or an ISO date-time as epoch ms; NaN when absent. */
function epochMs(v: Json | undefined): number {
  if (typeof v === "number") return Number.isFinite(v) ? (Math.abs(v) < 1e11 ? v * 1000 : v) : Number.NaN;
  if (typeof v !== "string" || v.trim() === "") return Number.NaN;
  const s = v.trim();
  if (/^-?\d+(?:\.\d+)?$/.test(s)) return epochMs(Number(s));
  return Date.parse(s);
}

/**
 * The data types an entry's values give rows of, in row order; which keys hold each is in
 * `onEntry` (read by name there: V8 caches a read by name, a key taken from a list it looks up
 * every time).
 */
const VALUE_TYPES = ["forecast", "quota", "forecast_updated", "adjustment", "crm_total", "crm_closed"] as const;

/** The first of two reads that is present (null counts as present, as it gives a row). */
const first = (a: Json | undefined, b: Json | undefined): Json | undefined => (a !== undefined ? a : b);

function str(v: Json | undefined): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v.trim();
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class LocalCodes {
  readonly keys: string[] = [];
  private readonly map = new Map<string, number>();
  private lastKey: string | undefined;
  private lastCode = -1;
  lookup(key: string): number | undefined {
    return this.map.get(key);
  }
  code(key: string): number {
    if (key === this.lastKey) return this.lastCode;
    let c = this.map.get(key);
    if (c === undefined) {
      c = this.keys.length;
      this.keys.push(key);
      this.map.set(key, c);
    }
    this.lastKey = key;
    this.lastCode = c;
    return c;
  }
}

export class TablesReader {
  private readonly splitter = new JsonBatchSplitter("object", (name, values) => this.accept(name, values));
  private readonly userCodes = new LocalCodes();
  private readonly fieldCodes = new LocalCodes();
  private readonly periodCodes = new LocalCodes();
  private readonly frameCodes = new LocalCodes();
  private readonly users = new Map<string, UserInfo>();
  private readonly fieldNames = new Map<string, string>();
  private readonly periods = new Map<string, PeriodInfo>();
  private readonly frames = new Map<string, FrameInfo>();
  /** (period, frame) pairs seen in entries, as period * 2^21 + frame. */
  private readonly periodFrames = new Set<number>();
  private lastPair = -1;
  private readonly dataTypeCodes: number[];
  private readonly currencyCache = new Map<string, number>();
  private invalidValues = 0;
  private sawTables = new Set<string>();
  // The entry being read (set by onEntry for addValue).
  private user = 0;
  private field = 0;
  private period = 0;
  private frame = 0;
  private currencyText = "";

  constructor(private readonly table: ForecastTable) {
    table.shape = "tables";
    this.dataTypeCodes = VALUE_TYPES.map((dt) => table.internDataType(dt));
  }

  write(chunk: Uint8Array): void {
    this.splitter.write(chunk);
  }

  /** Takes parsed items of the member `name` (entries, users, ...), in file order. */
  accept(name: string | undefined, values: unknown[]): void {
    if (name === undefined) return;
    this.sawTables.add(name);
    if (values.length === 0) return;
    if (name === "entries") {
      for (const value of values) if (isObject(value as Json)) this.onEntry(value as JsonObject);
      return;
    }
    for (const value of values) this.onValue(name, value as Json);
  }

  private onValue(tableName: string, value: Json): void {
    if (!isObject(value)) return;
    switch (tableName) {
      case "users": {
        const id = str(value.userId ?? value.id);
        if (id === "" || this.users.has(id)) return;
        this.users.set(id, {
          name: str(value.name ?? value.userName),
          email: str(value.email),
          crmId: str(value.crmId ?? value.crmUserId),
          hierarchyId: str(value.hierarchyId),
          hierarchyName: str(value.hierarchyName ?? value.role),
          parentHierarchyId: str(value.parentHierarchyId),
          parentHierarchyName: str(value.parentHierarchyName ?? value.parentRole),
        });
        return;
      }
      case "fields": {
        const id = str(value.fieldId ?? value.id);
        if (id !== "") this.fieldNames.set(id, str(value.fieldName ?? value.name) || id);
        return;
      }
      case "timePeriods": {
        const id = str(value.timePeriodId ?? value.id);
        if (id !== "")
          this.periods.set(id, {
            label: str(value.label ?? value.name) || id,
            startDate: toIsoDate(value.startDate ?? null),
            endDate: toIsoDate(value.endDate ?? null),
          });
        return;
      }
      case "timeFrames": {
        const id = str(value.timeFrameId ?? value.id);
        if (id !== "")
          this.frames.set(id, {
            startDate: toIsoDate(value.startDate ?? null),
            endDate: toIsoDate(value.endDate ?? null),
          });
        return;
      }
      default:
        return;
    }
  }

  private onEntry(e: JsonObject): void {
    this.user = this.userCodes.code(str(e.userId));
    this.field = this.fieldCodes.code(str(e.fieldId));
    const period = (this.period = this.periodCodes.code(str(e.timePeriodId)));
    const frame = (this.frame = this.frameCodes.code(str(e.timeFrameId)));
    const pair = period * 2097152 + frame;
    if (pair !== this.lastPair) {
      this.periodFrames.add(pair);
      this.lastPair = pair;
    }
    const cur = e.currency;
    this.currencyText = isObject(cur) ? str(cur.symbol) || str(cur.code) : typeof cur === "string" ? cur.trim() : "";

    this.addValue(0, first(e.forecastValue, e.forecast));
    this.addValue(1, first(e.quotaValue, e.quota));
    if (this.addValue(2, first(e.isUpdated, first(e.forecastUpdated, e.updated)))) this.addChange(e.updatedBy, e.updatedOn);
    if (this.addValue(3, first(e.adjustmentValue, e.adjustment))) this.addChange(e.adjustedBy, e.adjustedOn);
    this.addValue(4, first(e.aggregationTotal, first(e.crmTotal, e.crm_total)));
    this.addValue(5, first(e.closedTotal, first(e.crmClosed, first(e.crm_closed, e.aggregationClosed))));
  }

  /** One row of the entry being read, for its value of VALUE_TYPES[k]; false when it has none. */
  private addValue(k: number, raw: Json | undefined): boolean {
    if (raw === undefined) return false;
    const t = this.table;
    const dataType = this.dataTypeCodes[k] as number;
    // Numbers and booleans as parseClariValue reads them, without its result object.
    let value = Number.NaN;
    let currencyText = this.currencyText;
    if (typeof raw === "number") value = Number.isFinite(raw) ? raw : Number.NaN;
    else if (typeof raw === "boolean") value = raw ? 1 : 0;
    else {
      const parsed = parseClariValue(raw);
      if (parsed.invalid) this.invalidValues++;
      if (typeof parsed.value === "boolean") value = parsed.value ? 1 : 0;
      else if (typeof parsed.value === "number") value = parsed.value;
      currencyText ||= parsed.currency ?? "";
    }
    let currency = 0;
    if (t.isBoolean(dataType)) {
      if (!Number.isNaN(value)) value = value !== 0 ? 1 : 0;
    } else if (!Number.isNaN(value) && currencyText !== "") {
      let c = this.currencyCache.get(currencyText);
      if (c === undefined) {
        c = t.currencies.intern(currencyText);
        this.currencyCache.set(currencyText, c);
      }
      currency = c;
    }
    // Local codes for now; week is resolved at the end.
    t.append(this.user, this.period, this.field, this.frame, dataType, currency, 0, value);
    return true;
  }

  /** Who made the update or adjustment of the row just added, and when. */
  private addChange(by: Json | undefined, on: Json | undefined): void {
    if (by !== undefined || on !== undefined) this.table.setChange(this.table.length - 1, str(by), epochMs(on));
  }

  /** Ends the stream and resolves names, labels, dates and week indices. */
  end(): void {
    this.splitter.end();
    this.finish(this.splitter.complete);
  }

  /** Resolves what was accepted; `complete` is false when the file was cut short. */
  finish(complete: boolean): void {
    if (!complete) {
      this.table.warn(
        "The export file ended early (truncated?): rows read before the cut are kept; names may be missing for tables that came after it.",
      );
    }
    if (!this.sawTables.has("entries")) this.table.warn(NOT_AN_EXPORT.noEntries);
    if (this.invalidValues > 0) {
      this.table.warn(`${this.invalidValues} entry value(s) could not be read as a number or a boolean and were read as empty.`);
    }
    this.resolve();
  }

  private resolve(): void {
    const t = this.table;

    // People.
    const byHierarchyId = new Map<string, string>();
    for (const u of this.users.values()) if (u.hierarchyId) byHierarchyId.set(u.hierarchyId, u.hierarchyName);
    let unknownUsers = 0;
    const personMap = this.userCodes.keys.map((userId) => {
      const u = this.users.get(userId);
      if (!u) {
        unknownUsers++;
        return t.internPerson({ user: userId, email: "", crmUserId: "", userId, role: "", parentRole: "" });
      }
      const parentRole = u.parentHierarchyName || (u.parentHierarchyId ? (byHierarchyId.get(u.parentHierarchyId) ?? "") : "");
      return t.internPerson({
        user: u.name || userId,
        email: u.email,
        crmUserId: u.crmId,
        userId,
        role: u.hierarchyName,
        parentRole,
      });
    });
    if (unknownUsers > 0) t.warn(`${unknownUsers} userId(s) in entries are missing from the users table; shown by userId.`);

    // Fields.
    let unknownFields = 0;
    const fieldMap = this.fieldCodes.keys.map((id) => {
      const name = this.fieldNames.get(id);
      if (name === undefined) unknownFields++;
      return t.fields.intern(name ?? id);
    });
    if (unknownFields > 0) t.warn(`${unknownFields} fieldId(s) in entries are missing from the fields table; shown by fieldId.`);

    // Periods.
    const periodMap = this.periodCodes.keys.map((id) => {
      const p = this.periods.get(id);
      const label = p?.label ?? id;
      return t.internPeriod(label, parseTimePeriodLabel(id) ?? parseTimePeriodLabel(label) ?? "");
    });

    // Weeks: the frames of each period are those of the timeFrames table that overlap the
    // period's dates, plus those its entries use; week = 1-based rank by start date.
    const frameStart = (id: string): string => this.frames.get(id)?.startDate || toIsoDate(id);
    const frameEnd = (id: string): string => {
      const f = this.frames.get(id);
      if (f?.endDate) return f.endDate;
      const start = frameStart(id);
      return /^\d{4}-\d{2}-\d{2}$/.test(start) ? addDays(start, 6) : "";
    };
    const spanMap = this.frameCodes.keys.map((id) => t.internSpan(frameStart(id), frameEnd(id)));
    const nPeriods = this.periodCodes.keys.length;
    const nFrames = this.frameCodes.keys.length;
    const framesOfPeriod: Array<Set<string>> = Array.from({ length: nPeriods }, () => new Set<string>());
    for (const pair of this.periodFrames) {
      const p = Math.floor(pair / 2097152);
      const f = pair % 2097152;
      framesOfPeriod[p]?.add(this.frameCodes.keys[f] as string);
    }
    this.periodCodes.keys.forEach((id, p) => {
      const info = this.periods.get(id);
      if (!info?.startDate || !info.endDate) return;
      for (const [fid, f] of this.frames) {
        if (f.startDate && f.endDate && f.endDate >= info.startDate && f.startDate <= info.endDate) {
          framesOfPeriod[p]?.add(fid);
        }
      }
    });
    // Where the period's start date is known, a week's number comes from its date (week 1 holds
    // the period's first day), so it matches the flat and CSV shapes' Week column even when the
    // export holds only some weeks; otherwise it is the frame's rank.
    const DAY = 86_400_000;
    const weekByDate = (periodStart: string | undefined, start: string): number | undefined => {
      const from = periodStart ? Date.parse(periodStart) : NaN;
      const at = /^\d{4}-\d{2}-\d{2}/.test(start) ? Date.parse(start.slice(0, 10)) : NaN;
      if (Number.isNaN(from) || Number.isNaN(at)) return undefined;
      const week = Math.floor((Math.round((at - from) / DAY) + 6) / 7) + 1;
      return week >= 1 ? week : undefined;
    };
    const weekOf = new Map<number, number>();
    framesOfPeriod.forEach((set, p) => {
      const periodStart = this.periods.get(this.periodCodes.keys[p] as string)?.startDate;
      const sorted = [...set].sort((a, b) => {
        const sa = frameStart(a);
        const sb = frameStart(b);
        return sa < sb ? -1 : sa > sb ? 1 : a < b ? -1 : a > b ? 1 : 0;
      });
      sorted.forEach((fid, rank) => {
        const f = this.frameCodes.lookup(fid);
        if (f !== undefined) weekOf.set(p * 2097152 + f, weekByDate(periodStart, frameStart(fid)) ?? rank + 1);
      });
    });
    const dense = nPeriods * nFrames <= 4_000_000 ? new Int32Array(nPeriods * nFrames).fill(-1) : undefined;
    if (dense) for (const [pair, w] of weekOf) dense[Math.floor(pair / 2097152) * nFrames + (pair % 2097152)] = w;

    // Rewrite the columns from local codes to table codes.
    const c = t.columns;
    const n = t.length;
    for (let i = 0; i < n; i++) {
      const p = c.period[i] as number;
      const f = c.span[i] as number;
      c.week[i] = dense ? (dense[p * nFrames + f] as number) : (weekOf.get(p * 2097152 + f) ?? -1);
      c.person[i] = personMap[c.person[i] as number] as number;
      c.field[i] = fieldMap[c.field[i] as number] as number;
      c.period[i] = periodMap[p] as number;
      c.span[i] = spanMap[f] as number;
    }
  }
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
