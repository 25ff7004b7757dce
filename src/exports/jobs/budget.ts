/**
 * A caller's export budget at the one point where it is spent: the intent of a request that is about
 * to be POSTed (obtain.ts's decide, under the store's lock). Reusing a stored export, joining a job
 * in flight or resuming one spends nothing. A spent budget answers when it refills and which
 * exports of the same kind (and forecast tab) are already stored, usable at no cost.
 */
import { budgetText, budgetWindow, type CallerBudget } from "../../config/budgets.js";
import type { BudgetSpend } from "../../state/backend.js";
import type { ExportDeps } from "../context.js";
import type { ExportKind, StoredExport } from "../store/store.js";
import { BudgetExhaustedError } from "./errors.js";

/** How many stored exports an exhausted budget's answer names. */
const SHOWN = 5;

/** The unit a queue of this call would spend now; undefined when its exports are unlimited. */
export function spendOf(budget: CallerBudget | undefined, now: number = Date.now()): BudgetSpend | undefined {
  if (!budget) return undefined;
  const window = budgetWindow(budget.limit.period, now);
  return { holder: budget.holder, window: window.key, windowEnd: window.end, limit: budget.limit.units };
}

const PERIOD_WORD = { day: "today", week: "this week", month: "this month" } as const;

/** The refusal: what was spent, when it refills, and what is stored already of this kind (and tab). */
export function budgetExhausted(budget: CallerBudget, spend: BudgetSpend, kind: ExportKind, request: Record<string, unknown>, deps: ExportDeps): BudgetExhaustedError {
  const refill = new Date(spend.windowEnd).toISOString();
  const { units, period } = budget.limit;
  const who = budget.holder ? ` (${budget.holder})` : "";
  const spentWords =
    units === 0
      ? `Your export budget${who} allows no exports (${budgetText(budget.limit)}); ask whoever runs this server for one`
      : `Your export budget${who} is spent: ${units} of ${budgetText(budget.limit)} used ${PERIOD_WORD[period]} (UTC); it refills at ${refill}`;
  const stored = sameKind(deps.store.list(), kind, request);
  const shown = stored.slice(0, SHOWN).map(describe);
  const tab = kind === "forecast" && typeof request.forecastId === "string" ? ` of the ${request.forecastId} tab` : "";
  const storedWords = shown.length
    ? `Already stored${tab}, free to use now: ${shown.join("; ")}${stored.length > SHOWN ? `; and ${stored.length - SHOWN} more (clari://exports)` : ""}. Ask questions of them with clari_query (WHERE export_id = '<jobId>') or read clari://exports/<jobId>.`
    : `No ${kind} export${tab} is stored yet.`;
  return new BudgetExhaustedError(
    `${spentWords}. Nothing was queued. ${storedWords} Joining an identical export already running, or reusing one stored, spends nothing.`,
    spend.windowEnd,
  );
}

function sameKind(entries: readonly StoredExport[], kind: ExportKind, request: Record<string, unknown>): StoredExport[] {
  return entries
    .filter((e) => e.kind === kind && (kind !== "forecast" || request.forecastId === undefined || e.request.forecastId === request.forecastId))
    .sort((a, b) => b.completedAt - a.completedAt);
}

function describe(entry: StoredExport): string {
  const r = entry.request;
  const what = [r.forecastId, r.timePeriod, r.dateFrom ?? r.startDate, r.dateTo ?? r.endDate].filter((v) => typeof v === "string" && v !== "").join(" ");
  return `${entry.jobId}${what ? ` (${what})` : ""}, finished ${new Date(entry.completedAt).toISOString()}`;
}
