import { z } from "zod";
import { entityInput, fieldNameInput } from "../kit/common-inputs.js";
import { defineTool } from "../kit/define-tool.js";

export const getPicklistValues = defineTool({
  name: "clari_get_picklist_values",
  title: "Get picklist values",
  description: "Partner ingest: the picklist values of an entity's fields (all fields, or only fieldNames).",
  toolset: "ingest",
  inputSchema: {
    entity: entityInput,
    fieldNames: z.array(fieldNameInput).max(100).optional(),
  },
  outputSchema: { entity: z.string(), fields: z.record(z.string(), z.array(z.string())) },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  writesClariData: false,
  async handler({ entity, fieldNames }, deps, call) {
    const fields = await deps.client.getPicklistValues(entity, fieldNames, { signal: call.signal });
    const lines = Object.entries(fields).map(([name, values]) => `${name}: ${values.join(", ")}`);
    return { text: `${entity} picklists:\n${lines.join("\n") || "(none)"}`, structured: { entity, fields } };
  },
});
