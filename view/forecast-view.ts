/**
 * The forecast view (an MCP App): shown by the host with a clari_export_forecast or clari_query result.
 * Every number comes through the host by tools/call of clari_query (app.callServerTool); the view makes
 * no network request of its own. Charts are plain SVG: bars of a call field against quota per person,
 * the week-over-week line of one person or team, a click on a manager drills down to their reps, and a
 * table of the same numbers under every chart (the only rendering when a query result is not chartable).
 */
import { App, PostMessageTransport, applyDocumentTheme, applyHostStyleVariables, type McpUiHostContext } from "@modelcontextprotocol/ext-apps";
import { attainment, compactMoney, niceCeiling } from "./format.js";

type Cell = string | number | boolean | null;
interface Table {
  columns: Array<{ name: string; type: string }>;
  rows: Cell[][];
}
interface Person {
  userId: string;
  name: string;
  isRep: boolean;
  call: number | null;
  quota: number | null;
}
interface Level {
  manager: { userId: string; name: string } | null;
  /** The manager's own call and quota (their number, not the team's sum). */
  own: { call: number | null; quota: number | null } | null;
  people: Person[];
}

const SVG = "http://www.w3.org/2000/svg";
const root = document.getElementById("root")!;
const app = new App({ name: "clari-forecast-view", version: "1.0.0" }, {}, { autoResize: true });

const state = {
  exportId: "",
  currency: "USD",
  field: "Commit",
  fields: [] as string[],
  /** The drill-down path: each level's manager (null = the top of the hierarchy). */
  path: [] as Array<{ userId: string; name: string } | null>,
  selected: null as { userId: string; name: string } | null,
};

// ---------- formatting ----------

function money(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: state.currency, maximumFractionDigits: 0 }).format(value);
  } catch {
    return new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(value);
  }
}
const plain = (value: number): string => new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(value);
const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}
function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Array<Node | string>): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

// ---------- talking to the server through the host ----------

async function query(sql: string): Promise<Table> {
  const result = await app.callServerTool({ name: "clari_query", arguments: { sql, limit: 500 } });
  const text = result.content?.find((c) => c.type === "text");
  if (result.isError) throw new Error(text && "text" in text ? text.text : "clari_query failed");
  return result.structuredContent as unknown as Table;
}

function objects(table: Table): Array<Record<string, Cell>> {
  return table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c.name, row[i] ?? null])));
}

const num = (v: Cell | undefined): number | null => (typeof v === "number" ? v : v === null || v === undefined || v === "" ? null : Number.isFinite(Number(v)) ? Number(v) : null);

// The view shows one export, named by its jobId: forecast_all and people_all hold it even after a
// newer export of the same tab has replaced it in forecast and people.
async function loadLevel(manager: { userId: string; name: string } | null): Promise<Level> {
  const x = sqlText(state.exportId);
  const f = sqlText(state.field);
  const who = manager ? `p.manager_user_id = ${sqlText(manager.userId)}` : "p.level = 0";
  const table = await query(
    `SELECT p.user_id, p.name, p.is_rep, max(f.value) FILTER (WHERE f.field = ${f}) AS call, max(f.value) FILTER (WHERE f.field = 'Quota') AS quota ` +
      `FROM people_all p LEFT JOIN forecast_all f ON f.export_id = p.export_id AND f.user_id = p.user_id AND f.is_latest_week ` +
      `WHERE p.export_id = ${x} AND ${who} GROUP BY ALL ORDER BY p.name`,
  );
  const people = objects(table).map((r) => ({ userId: String(r.user_id), name: String(r.name ?? r.user_id), isRep: r.is_rep === true, call: num(r.call), quota: num(r.quota) }));
  let own: Level["own"] = null;
  if (manager) {
    const mine = objects(
      await query(
        `SELECT max(value) FILTER (WHERE field = ${f}) AS call, max(value) FILTER (WHERE field = 'Quota') AS quota ` +
          `FROM forecast WHERE export_id = ${x} AND user_id = ${sqlText(manager.userId)} AND is_latest_week`,
      ),
    )[0];
    own = { call: num(mine?.call), quota: num(mine?.quota) };
  }
  return { manager, own, people };
}

async function loadWeeks(userId: string): Promise<Array<{ week: number; call: number | null; quota: number | null }>> {
  const table = await query(
    `SELECT week, max(value) FILTER (WHERE field = ${sqlText(state.field)}) AS call, max(value) FILTER (WHERE field = 'Quota') AS quota ` +
      `FROM forecast_all WHERE export_id = ${sqlText(state.exportId)} AND user_id = ${sqlText(userId)} GROUP BY week ORDER BY week`,
  );
  return objects(table).map((r) => ({ week: Number(r.week), call: num(r.call), quota: num(r.quota) }));
}

// ---------- charts ----------

/** Horizontal bars: one row per person, the call as a bar, quota as a tick; a manager's row drills down. */
function barChart(people: Person[], onPick: (p: Person) => void): SVGElement {
  const rowH = 26;
  const labelW = 170;
  const valueW = 150;
  const width = 760;
  const plotW = width - labelW - valueW;
  const max = Math.max(1, ...people.flatMap((p) => [p.call ?? 0, p.quota ?? 0]));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${people.length * rowH + 4}`, role: "list", "aria-label": `${state.field} against quota per person` });
  people.forEach((p, i) => {
    const y = i * rowH;
    const label = `${p.name}: ${state.field} ${money(p.call)}${p.quota !== null ? ` of quota ${money(p.quota)}` : ""}${p.isRep ? "" : " (manager: open to see the team)"}`;
    const row = svg("g", { class: `row${p.isRep ? "" : " drill"}`, role: "listitem", tabindex: 0, "aria-label": label, "data-user-id": p.userId, "data-name": p.name, "data-manager": String(!p.isRep) });
    row.append(svg("rect", { class: "hit", x: 0, y, width, height: rowH }));
    row.append(svg("text", { x: labelW - 8, y: y + rowH / 2 + 4, "text-anchor": "end" }, `${p.name}${p.isRep ? "" : " ▸"}`));
    const w = ((p.call ?? 0) / max) * plotW;
    row.append(
      svg("rect", { class: "bar", x: labelW, y: y + 5, width: Math.max(0, w), height: rowH - 10, rx: 2, "data-field": state.field, "data-value": p.call ?? "", "aria-label": `${state.field} ${money(p.call)}` }),
    );
    if (p.quota !== null) {
      const qx = labelW + (p.quota / max) * plotW;
      row.append(svg("line", { class: "quota", x1: qx, x2: qx, y1: y + 2, y2: y + rowH - 2, "data-field": "Quota", "data-value": p.quota, "aria-label": `Quota ${money(p.quota)}` }));
    }
    const pct = p.call !== null && p.quota ? ` · ${attainment(p.call / p.quota)}` : "";
    row.append(svg("text", { x: labelW + plotW + 8, y: y + rowH / 2 + 4, class: "muted value" }, `${money(p.call)}${pct}`));
    row.addEventListener("click", () => onPick(p));
    row.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Enter" || (e as KeyboardEvent).key === " ") onPick(p);
    });
    chart.append(row);
  });
  return chart;
}

/** One line per series over the weeks (quota dashed). */
function lineChart(points: Array<{ x: number; values: Array<number | null> }>, series: string[], xLabel: string): SVGElement {
  const width = 760;
  const height = 180;
  const left = 90;
  const bottom = 24;
  const all = points.flatMap((p) => p.values).filter((v): v is number => v !== null);
  const max = niceCeiling(Math.max(1, ...all));
  const xs = points.map((p) => p.x);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const px = (x: number): number => left + (x1 === x0 ? (width - left) / 2 : ((x - x0) / (x1 - x0)) * (width - left - 10));
  const py = (v: number): number => 6 + (1 - v / max) * (height - bottom - 6);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${series.join(", ")} by ${xLabel}` });
  chart.append(svg("line", { class: "axis", x1: left, x2: width, y1: height - bottom, y2: height - bottom }));
  for (const v of [0, max / 2, max]) chart.append(svg("text", { x: left - 6, y: py(v) + 4, "text-anchor": "end", class: "muted tick", "data-value": v }, compactMoney(v, state.currency)));
  for (const p of points) chart.append(svg("text", { x: px(p.x), y: height - 6, "text-anchor": "middle", class: "muted" }, `${xLabel === "week" ? "W" : ""}${p.x}`));
  series.forEach((name, s) => {
    const pts = points.filter((p) => p.values[s] !== null && p.values[s] !== undefined);
    if (pts.length === 0) return;
    const d = pts.map((p, i) => `${i ? "L" : "M"}${px(p.x).toFixed(1)},${py(p.values[s]!).toFixed(1)}`).join(" ");
    chart.append(svg("path", { class: /quota/i.test(name) ? "qline" : "line", d, "data-series": name }));
    if (!/quota/i.test(name))
      for (const p of pts) chart.append(svg("circle", { class: "dot", cx: px(p.x), cy: py(p.values[s]!), r: 3, "data-series": name, "data-x": p.x, "data-value": p.values[s]!, "aria-label": `${xLabel} ${p.x}: ${name} ${money(p.values[s]!)}` }));
  });
  return chart;
}

function table(columns: string[], rows: Cell[][], numeric: boolean[], asMoney = true): HTMLTableElement {
  const head = el("tr", {}, ...columns.map((c, i) => el("th", numeric[i] ? { class: "num" } : {}, c)));
  const body = rows.map((r) => el("tr", {}, ...r.map((v, i) => el("td", numeric[i] ? { class: "num" } : {}, numeric[i] && typeof v === "number" ? (asMoney ? money(v) : plain(v)) : v === null ? "" : String(v)))));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
}

/** A leader's own call beside the sum of their direct reports' calls: the haircut (or lift) the leader applies. */
function ownAgainstTeam(name: string, own: number | null, people: Person[]): HTMLElement {
  const sum = people.reduce((s, p) => s + (p.call ?? 0), 0);
  const share = own !== null && sum > 0 ? ` (${attainment(own / sum)} of it)` : "";
  return el(
    "p",
    { class: "own", "data-own": own === null ? "" : String(own), "data-team-sum": String(sum), "data-field": state.field },
    `${name}'s own ${state.field} ${money(own)} · the team's sum ${money(sum)}${share}. A leader's call is their own number: the levels are never added.`,
  );
}

function legend(): HTMLElement {
  return el("div", { class: "legend" }, el("span", {}, el("span", { class: "swatch", style: "background:var(--call)" }), state.field), el("span", {}, el("span", { class: "swatch", style: "background:var(--quota)" }), "Quota"));
}

// ---------- the forecast export view ----------

async function showLevel(): Promise<void> {
  const manager = state.path[state.path.length - 1] ?? null;
  const level = await loadLevel(manager);
  // One person at the top (the CRO): start with their team.
  if (!manager && level.people.length === 1 && !level.people[0]!.isRep) {
    const top = level.people[0]!;
    state.path = [{ userId: top.userId, name: top.name }];
    state.selected ??= { userId: top.userId, name: top.name };
    return showLevel();
  }
  const main = el("main", { id: "root" });
  main.append(el("h1", {}, manager ? `${manager.name}'s team` : "Forecast"), el("p", { class: "sub" }, `Export ${state.exportId} · latest week · ${state.field} against quota`));

  const nav = el("nav", { "aria-label": "Drill-down path" });
  state.path.forEach((m, i) => {
    if (i > 0) nav.append(" › ");
    const b = el("button", { type: "button", "data-path": String(i) }, m ? m.name : "Top");
    b.disabled = i === state.path.length - 1;
    b.addEventListener("click", () => {
      state.path = state.path.slice(0, i + 1);
      state.selected = m;
      void render();
    });
    nav.append(b);
  });
  if (state.fields.length > 1) {
    const pick = el("select", { "aria-label": "Call field" }, ...state.fields.map((f) => el("option", f === state.field ? { value: f, selected: "" } : { value: f }, f)));
    pick.addEventListener("change", () => {
      state.field = pick.value;
      void render();
    });
    nav.append(" ", pick);
  }
  main.append(nav, legend());
  if (manager && level.own) main.append(ownAgainstTeam(manager.name, level.own.call, level.people));
  if (level.people.length === 0) main.append(el("p", { class: "note" }, "No one reports to this person in this export."));
  else
    main.append(
      barChart(level.people, (p) => {
        state.selected = { userId: p.userId, name: p.name };
        if (!p.isRep) state.path = [...state.path, { userId: p.userId, name: p.name }];
        void render();
      }),
    );
  const details = el("details", {}, el("summary", {}, "Table"));
  details.append(table(["Name", state.field, "Quota"], level.people.map((p) => [p.name, p.call, p.quota]), [false, true, true]));
  main.append(details);

  const who = state.selected ?? manager;
  if (who) {
    const weeks = await loadWeeks(who.userId);
    const section = el("section", { "aria-label": "Week over week" }, el("h2", {}, `${who.name}: week over week`));
    if (weeks.length < 2) section.append(el("p", { class: "note" }, weeks.length ? "Only the latest week is in this export (export with includeHistorical for the trend)." : "No weeks for this person."));
    section.append(lineChart(weeks.map((w) => ({ x: w.week, values: [w.call, w.quota] })), [state.field, "Quota"], "week"));
    main.append(section);
  }
  root.replaceChildren(...main.childNodes);
}

// ---------- a clari_query result ----------

const NUMERIC = /^(DOUBLE|FLOAT|REAL|DECIMAL|HUGEINT|BIGINT|INTEGER|SMALLINT|TINYINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)/i;

function showQuery(result: Table & { row_count?: number; truncated?: boolean }): void {
  const cols = result.columns;
  const numeric = cols.map((c) => NUMERIC.test(c.type));
  const weekIdx = cols.findIndex((c) => /^week$/i.test(c.name));
  const labelIdx = cols.findIndex((c, i) => !numeric[i] && /^(name|manager_name|actor_name|.*name)$/i.test(c.name));
  const labelAny = labelIdx >= 0 ? labelIdx : cols.findIndex((_, i) => !numeric[i]);
  const valueIdx = cols.map((_, i) => i).filter((i) => numeric[i] && i !== weekIdx);
  const main = el("main", { id: "root" });
  main.append(el("h1", {}, "Query result"), el("p", { class: "sub" }, `${result.row_count ?? result.rows.length} row(s)${result.truncated ? ", truncated" : ""}`));
  const chartable = valueIdx.length > 0 && result.rows.length > 0 && result.rows.length <= 60;
  if (chartable && weekIdx >= 0 && labelIdx < 0) {
    main.append(lineChart(result.rows.map((r) => ({ x: Number(r[weekIdx]), values: valueIdx.map((i) => num(r[i] ?? null)) })), valueIdx.map((i) => cols[i]!.name), "week"));
  } else if (chartable && labelAny >= 0) {
    const quotaIdx = valueIdx.find((i) => /quota/i.test(cols[i]!.name));
    const callIdx = valueIdx.find((i) => i !== quotaIdx);
    if (callIdx !== undefined) {
      state.field = cols[callIdx]!.name;
      const people = result.rows.map((r, n) => ({ userId: String(n), name: String(r[labelAny] ?? ""), isRep: true, call: num(r[callIdx] ?? null), quota: quotaIdx === undefined ? null : num(r[quotaIdx] ?? null) }));
      main.append(legend(), barChart(people, () => undefined));
    }
  } else main.append(el("p", { class: "note" }, "This result has no numbers to chart; here is the table."));
  const t = table(cols.map((c) => c.name), result.rows, numeric, false);
  main.append(chartable ? el("details", {}, el("summary", {}, "Table"), t) : t);
  root.replaceChildren(...main.childNodes);
}

// ---------- wiring ----------

let current: (() => Promise<void> | void) | undefined;
async function render(): Promise<void> {
  try {
    await current?.();
  } catch (error) {
    root.replaceChildren(el("p", { class: "error" }, `Could not draw the view: ${(error as Error).message}`));
  }
  document.body.dataset.ready = String(Date.now());
}

async function startExport(structured: Record<string, unknown>): Promise<void> {
  const status = String(structured.status ?? "");
  if (status !== "DONE") {
    root.replaceChildren(el("p", { class: "note" }, `Export ${String(structured.jobId ?? "")} is ${status || "not done"}; the view fills in once it is DONE.`));
    return;
  }
  state.exportId = String(structured.jobId);
  const fields = objects(await query(`SELECT DISTINCT field FROM forecast_all WHERE export_id = ${sqlText(state.exportId)} AND field <> 'Quota' ORDER BY field`)).map((r) => String(r.field));
  state.fields = fields;
  if (!fields.includes(state.field) && fields[0]) state.field = fields[0];
  state.path = [null];
  state.selected = null;
  current = showLevel;
  await render();
}

function applyContext(ctx: McpUiHostContext | undefined): void {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
}

app.ontoolinput = ({ arguments: args }) => {
  if (args && typeof args.currency === "string" && /^[A-Z]{3}$/.test(args.currency)) state.currency = args.currency;
};
app.ontoolresult = (result) => {
  const structured = (result.structuredContent ?? {}) as Record<string, unknown>;
  if (Array.isArray(structured.columns) && Array.isArray(structured.rows)) {
    current = () => showQuery(structured as unknown as Table);
    void render();
  } else if (typeof structured.jobId === "string") {
    startExport(structured).catch((error: unknown) => {
      root.replaceChildren(el("p", { class: "error" }, `Could not draw the view: ${(error as Error).message}`));
    });
  } else {
    const text = result.content?.find((c) => c.type === "text");
    root.replaceChildren(el("p", { class: "note" }, text && "text" in text ? text.text : "Nothing to show."));
  }
};
app.onhostcontextchanged = (ctx) => applyContext(ctx);

void app.connect(new PostMessageTransport(window.parent, window.parent)).then(() => applyContext(app.getHostContext()));
