import { z } from "zod";
import { entityInput, fieldNameInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";
import { listedPlain } from "../kit/listing.js";

export const addPicklistValues = defineTool({
  name: "clari_add_picklist_values",
  title: "Add picklist values",
  description: "Partner ingest: add values to a picklist or multipicklist field; existing values are kept.",
  toolset: "ingest",
  inputSchema: {
    entity: entityInput,
    fieldName: fieldNameInput,
    fieldType: z.enum(["picklist", "multipicklist"]),
    values: z.array(listedPlain(z.string().min(1).max(255))).min(1).max(500),
  },
  outputSchema: { entity: z.string(), fieldName: z.string(), added: z.number(), message: z.string().optional() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: true,
  async handler({ entity, fieldName, fieldType, values }, deps, call) {
    const result = await deps.client.addPicklistValues(entity, { fieldName, fieldType, values }, { signal: call.signal });
    return {
      text: `${values.length} value(s) sent to ${entity}.${fieldName}${result.message ? `: ${result.message}` : ""}.`,
      structured: { entity, fieldName, added: values.length, ...(result.message ? { message: result.message } : {}) },
    };
  },
});
