/** Audit filters shared by the audit export and the audit page tool. */
import { z } from "zod";
import { FORECAST_ID } from "../../client/ids.js";
import { isoDateInput } from "./common-inputs.js";
import { listedPlain } from "./listing.js";

export const auditFilterShape = {
  actorId: z.string().regex(/^\d{1,19}$/, "actorId is a numeric Clari user id").optional(),
  impersonatingActorId: z.string().regex(/^\d{1,19}$/, "impersonatingActorId is a numeric Clari user id").optional(),
  sessionId: z.string().regex(/^[0-9a-fA-F-]{36}$/, "sessionId is a UUID").optional(),
  sessionType: z.enum(["WEB", "IOS", "ANDROID"]).optional(),
  dateFrom: isoDateInput.optional().describe("ISO date; default 30 days ago (Clari keeps ~30)"),
  dateTo: isoDateInput.optional().describe("ISO date"),
  event: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "event is a name such as forecast.updated").optional().describe("e.g. forecast.updated"),
};

/** Filters Clari's audit API does not have: applied by this server to what it returned (and said so). */
export const auditLocalFilterShape = {
  forecastId: listedPlain(z.string().regex(FORECAST_ID).describe("Only this tab's events (filtered here)")).optional(),
  changesOnly: z.boolean().optional().describe("No views, logins, system events (filtered here)"),
};
