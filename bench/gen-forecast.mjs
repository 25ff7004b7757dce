/**
 * Streams synthetic forecast export files in Clari's three shapes (the formats of
 * src/sandbox/forecast-results.ts): JSON tables, the spec's flat array of strings, and CSV.
 * Nothing is built in memory as one string: rows go out in ~1 MB chunks with backpressure.
 *
 * "rows" counts normalised rows (one value each), the same unit for every shape: in the tables
 * shape a forecast-field entry carries two (forecastValue, isUpdated) and a quota entry one.
 * The org: a CRO, 12 VPs, managers and reps; 13 weeks of Q4 2026 in a shuffled order (as Clari
 * returns them); fields Commit, Most Likely, Best Case, Pipeline (forecast + updated) and Quota.
 *
 *   node bench/gen-forecast.mjs tables|flat|csv ROWS OUT_FILE
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";

export const GENERATOR_VERSION = 1;

const FIRST = ["Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sophia", "Lucas", "Isabella", "Ethan", "Mia", "Aiden", "Amelia", "Samuel", "Harper", "Leo", "Evelyn", "Kai", "Abigail", "Omar", "Priya", "Arjun", "Mei", "Hiro", "Fatima", "Diego", "Chloe", "Jamal", "Nora", "Tariq"];
const LAST = ["Turner", "Lewis", "Martin", "Nguyen", "Patel", "Garcia", "Kim", "Johnson", "Okafor", "Silva", "Rossi", "Novak", "Fischer", "Haddad", "Tanaka", "Kowalski", "Murphy", "Chen", "Dubois", "Larsen"];
const REGIONS = ["West", "East", "Central", "North", "South", "EMEA", "APAC", "LATAM", "Canada", "ANZ", "DACH", "Nordics"];
const FIELDS = [
  { fieldId: "commit", fieldName: "Commit", fieldType: "FORECAST" },
  { fieldId: "most_likely", fieldName: "Most Likely", fieldType: "FORECAST" },
  { fieldId: "best_case", fieldName: "Best Case", fieldType: "FORECAST" },
  { fieldId: "pipeline", fieldName: "Pipeline", fieldType: "FORECAST" },
  { fieldId: "quota", fieldName: "Quota", fieldType: "QUOTA" },
];
const ROWS_PER_USER_WEEK = 9; // 4 forecast fields x (value, updated) + quota
const WEEKS = 13;
const DAY = 86_400_000;
const WEEK1 = Date.UTC(2026, 8, 28); // Monday of the week holding 1 Oct 2026
const PERIOD = { timePeriodId: "2026_Q4", label: "Q4 2026" };
const ORG = "799366";
const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n) => String(n).padStart(2, "0");
const iso = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};
const us = (ms) => {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()}`;
};

function money(value) {
  const [whole, frac] = Math.abs(value).toFixed(2).split(".");
  const s = `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${frac}`;
  return value < 0 ? `(${s})` : s;
}

function makeUsers(count, random) {
  const id = (n) => {
    let s = "";
    for (let i = 0; i < n; i++) s += B62[Math.floor(random() * 62)];
    return s;
  };
  const users = [];
  for (let i = 0; i < count; i++) {
    const first = FIRST[i % FIRST.length];
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
    let role;
    let parentRole;
    if (i === 0) {
      role = "CRO";
      parentRole = "";
    } else if (i <= REGIONS.length) {
      role = `VP Sales - ${REGIONS[i - 1]}`;
      parentRole = "CRO";
    } else {
      const k = i - REGIONS.length - 1;
      const region = REGIONS[k % REGIONS.length];
      const team = Math.floor(k / (REGIONS.length * 10)) + 1;
      const seat = Math.floor(k / REGIONS.length) % 10;
      if (seat === 0) {
        role = `Manager - ${region} ${team}`;
        parentRole = `VP Sales - ${region}`;
      } else {
        role = `Sales Rep - ${region} ${team}.${seat}`;
        parentRole = `Manager - ${region} ${team}`;
      }
    }
    users.push({
      userId: `${ORG}:00E${id(15)}`,
      name: `${first} ${last}`,
      email: `${first.toLowerCase()}.${last.toLowerCase()}.${i}@lumen-cloudworks.example`,
      crmId: `005${id(15)}`,
      scopeId: `${1000 + i}::MGR`,
      hierarchyId: `H${100000 + i}`,
      hierarchyName: role,
      parentHierarchyId: parentRole === "" ? "" : `H${100000 + Math.max(0, i - 1)}`,
      parentHierarchyName: parentRole,
      quota: (50 + Math.floor(random() * 950)) * 1000,
    });
  }
  return users;
}

function weekOrder(random) {
  const weeks = [];
  for (let w = 1; w <= WEEKS; w++) {
    const start = WEEK1 + (w - 1) * 7 * DAY;
    weeks.push({ index: w, start, end: start + 6 * DAY });
  }
  for (let i = weeks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [weeks[i], weeks[j]] = [weeks[j], weeks[i]];
  }
  return weeks;
}

const csvCell = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Writes `rows` normalised rows in `shape` to `file`; resolves to the number of bytes. */
export async function writeForecastFile(shape, rows, file) {
  if (!["tables", "flat", "csv"].includes(shape)) throw new Error(`unknown shape ${shape}`);
  const random = rng(0xc1a21 + rows);
  const userCount = Math.max(1, Math.ceil(rows / (WEEKS * ROWS_PER_USER_WEEK)));
  const users = makeUsers(userCount, random);
  const weeks = weekOrder(random);
  const out = createWriteStream(file);
  let buffer = "";
  let bytes = 0;
  const push = async (s) => {
    buffer += s;
    if (buffer.length >= 1 << 20) {
      bytes += Buffer.byteLength(buffer);
      const ok = out.write(buffer);
      buffer = "";
      if (!ok) await once(out, "drain");
    }
  };

  const header = ["User", "Email", "CRM User ID", "Role", "Parent Role", "Timeframe", "Field", "Week", "Start Day", "End Day", "Data Type", "Data Value"];
  let emitted = 0;
  let firstItem = true;
  if (shape === "flat") await push(`[${header.map((h) => JSON.stringify(h)).join(",")}`);
  if (shape === "csv") await push(`${header.map(csvCell).join(",")}\r\n`);
  if (shape === "tables") await push('{"entries":[');
  const cur = '"currency":{"code":"USD","symbol":"$"}';
  const updatedOnBase = Date.UTC(2026, 10, 20);

  outer: for (const week of weeks) {
    const tf = `TF:${iso(week.start)}`;
    const weekCells = [PERIOD.label, null, String(week.index), us(week.start), us(week.end)];
    for (const user of users) {
      const flatPrefix = shape === "tables" ? "" : [user.name, user.email, user.crmId, user.hierarchyName, user.parentHierarchyName, PERIOD.label];
      for (const field of FIELDS) {
        if (emitted >= rows) break outer;
        const isQuota = field.fieldType === "QUOTA";
        const value = isQuota ? user.quota : Math.round(random() * user.quota * 150) / 100;
        const updated = random() < 0.8;
        const items = isQuota
          ? [["Quota Value", money(value)]]
          : [
              ["Forecast Value", money(value)],
              ["Forecast Updated", updated ? "Yes" : "No"],
            ];
        const take = Math.min(items.length, rows - emitted);
        emitted += take;
        if (shape === "tables") {
          let entry = `{"userId":${JSON.stringify(user.userId)},"fieldId":"${field.fieldId}","timePeriodId":"${PERIOD.timePeriodId}","timeFrameId":"${tf}",`;
          if (isQuota) entry += `"quotaValue":${value},`;
          else {
            entry += `"forecastValue":${value},`;
            if (take === 2) {
              entry += `"isUpdated":${updated},`;
              if (updated) entry += `"updatedBy":${JSON.stringify(user.userId)},"updatedOn":${updatedOnBase + Math.floor(random() * 7 * DAY)},`;
            }
          }
          await push(`${firstItem ? "" : ","}${entry}${cur}}`);
          firstItem = false;
          continue;
        }
        for (let k = 0; k < take; k++) {
          const [dataType, cell] = items[k];
          const row = [...flatPrefix, field.fieldName, weekCells[2], weekCells[3], weekCells[4], dataType, cell];
          if (shape === "flat") await push(`,${row.map((c) => JSON.stringify(c)).join(",")}`);
          else await push(`${row.map(csvCell).join(",")}\r\n`);
        }
      }
    }
  }

  if (shape === "flat") await push("]");
  if (shape === "tables") {
    await push('],"users":[');
    for (let i = 0; i < users.length; i++) {
      const { quota: _quota, ...u } = users[i];
      await push(`${i ? "," : ""}${JSON.stringify(u)}`);
    }
    await push(`],"fields":${JSON.stringify(FIELDS)},"timePeriods":${JSON.stringify([{ timePeriodId: PERIOD.timePeriodId, type: "quarter", label: PERIOD.label, year: 2026, startDate: "2026-10-01", endDate: "2026-12-31" }])},"timeFrames":[`);
    await push(weeks.map((w) => JSON.stringify({ timeFrameId: `TF:${iso(w.start)}`, startDate: iso(w.start), endDate: iso(w.end) })).join(","));
    await push("]}");
  }
  bytes += Buffer.byteLength(buffer);
  out.end(buffer);
  await finished(out);
  return { bytes, rows: emitted, users: users.length };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const [shape, rows, file] = process.argv.slice(2);
  const r = await writeForecastFile(shape, Number(rows), file);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
