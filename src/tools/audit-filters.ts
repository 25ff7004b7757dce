/** Audit filters shared by the audit export and the audit page tool. */
import { z } from "zod";
import { isoDateInput } from "./common-inputs.js";

export const auditFilterShape = {
  actorId: z.string().regex(/^\d{1,19}$/, "actorId is a numeric Clari user id").optional().describe("Clari user id of the actor"),
  impersonatingActorId: z.string().regex(/^\d{1,19}$/, "impersonatingActorId is a numeric Clari user id").optional(),
  sessionId: z.string().uuid().optional(),
  sessionType: z.enum(["WEB", "IOS", "ANDROID"]).optional(),
  dateFrom: isoDateInput.optional().describe("ISO date-time; default 30 days ago (the furthest Clari keeps)"),
  dateTo: isoDateInput.optional().describe("ISO date-time; default now"),
  event: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "event is a name such as forecast.updated").optional().describe("Event name, e.g. forecast.updated, api.accessed"),
};
