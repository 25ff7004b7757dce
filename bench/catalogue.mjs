/**
 * 2. Catalogue size: the tools/list result as the model receives it, in UTF-8 bytes and estimated
 * tokens (characters / 4; bench/catalogue-size.mjs), in total and per tool (its description,
 * schemas, annotations and _meta apart). "default" is a keyed server without a partner
 * key (ingest hidden); "all" is --sandbox, which sets a partner key and shows every tool.
 * The catalogue is deterministic, so one listing per configuration is exact.
 */
import path from "node:path";
import { TOKEN_BUDGET, measure } from "./catalogue-size.mjs";
import { CLI, TMP, cleanEnv, connectStdio, figure, log } from "./lib.mjs";

const CONFIGS = [
  {
    key: "default",
    label: "default toolsets, no partner key",
    args: [CLI, "--cache-dir", path.join(TMP, "cache-catalogue")],
    env: cleanEnv({ CLARI_API_KEY: "bench-not-a-real-key" }),
  },
  { key: "all", label: "all toolsets (--sandbox, partner key)", args: [CLI, "--sandbox", "--cache-dir", path.join(TMP, "cache-catalogue")], env: cleanEnv() },
];

export async function run() {
  const details = {};
  for (const config of CONFIGS) {
    const session = await connectStdio({ args: config.args, env: config.env });
    const result = await session.client.listTools();
    await session.close();
    const perTool = result.tools.map((tool) => {
      const whole = measure(tool);
      return {
        name: tool.name,
        ...whole,
        description: measure(tool.description ?? "").chars,
        inputSchema: measure(tool.inputSchema ?? {}).chars,
        outputSchema: tool.outputSchema ? measure(tool.outputSchema).chars : 0,
        annotations: tool.annotations ? measure(tool.annotations).chars : 0,
        meta: tool._meta ? measure(tool._meta).chars : 0,
      };
    });
    details[config.key] = { label: config.label, toolCount: result.tools.length, total: measure(result), perTool };
    log(`catalogue ${config.label}: ${result.tools.length} tools, ${details[config.key].total.bytes} bytes, ~${details[config.key].total.tokens} tokens`);
  }
  const all = details.all.total;
  const def = details.default.total;
  const figures = [
    figure("catalogue_default_bytes", `Catalogue, default (${details.default.toolCount} tools): bytes`, def.bytes, "B", "", null),
    figure("catalogue_default_tokens", `Catalogue, default (${details.default.toolCount} tools): est. tokens`, def.tokens, "tokens", `< ${TOKEN_BUDGET}`, def.tokens < TOKEN_BUDGET),
    figure("catalogue_all_bytes", `Catalogue, all (${details.all.toolCount} tools): bytes`, all.bytes, "B", "", null),
    figure("catalogue_all_tokens", `Catalogue, all (${details.all.toolCount} tools): est. tokens`, all.tokens, "tokens", `< ${TOKEN_BUDGET}`, all.tokens < TOKEN_BUDGET),
  ];
  return { figures, details };
}
