#!/usr/bin/env node
/**
 * npm run demo: start the real server on the simulated Clari (no credentials), drive it with the
 * MCP SDK client the way an assistant would, and print what happens.
 */
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const tty = process.stdout.isTTY;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const step = (n, title) => console.log(`\n${bold(`${n}. ${title}`)}`);
const textOf = (result) => result.content.filter((c) => c.type === "text").map((c) => c.text).join("\n");
const indent = (s) => s.split("\n").map((line) => `   ${line}`).join("\n");

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CLARI_")));
const transport = new StdioClientTransport({ command: process.execPath, args: [cli, "--sandbox", "--no-cache", "--sandbox-job-ms", "4000"], env, stderr: "ignore" });
const client = new Client({ name: "clari-mcp-demo", version: "1.0.0" });

console.log(bold("clari-mcp demo: a forecast question answered over MCP, against the simulated Clari"));
// --no-cache: every run tells the same story (a new export, then the same one from the store), and leaves nothing in the cache folder.
console.log(dim(`server: node ${cli} --sandbox --no-cache   (no API key; every call below is real MCP over stdio)`));
const started = Date.now();
await client.connect(transport);

step(1, "List the tools the assistant sees");
const { tools } = await client.listTools();
console.log(indent(tools.map((t) => t.name).join(", ")));
console.log(dim(`   ${tools.length} tools, ${JSON.stringify(tools).length} bytes of catalogue`));

step(2, "Export this quarter's net_bookings forecast (queues a Clari export job and waits)");
let lastLine = "";
const exported = await client.callTool(
  { name: "clari_export_forecast", arguments: { forecastId: "net_bookings", includeHistorical: true } },
  {
    onprogress: ({ message }) => {
      lastLine = `   … ${message}`;
      if (tty) process.stdout.write(`\r${lastLine}\x1b[K`);
      else console.log(lastLine);
    },
  },
);
if (tty) process.stdout.write("\n");
console.log(indent(textOf(exported)));
const { jobId } = exported.structuredContent;

step(3, "Commit vs quota per manager, latest week (one query, no second export)");
const managers = await client.callTool({
  name: "clari_query",
  arguments: {
    sql:
      "SELECT p.name, p.role, sum(f.value) FILTER (WHERE f.field = 'Commit') AS commit, sum(f.value) FILTER (WHERE f.field = 'Quota') AS quota, round(commit / quota, 2) AS commit_to_quota " +
      `FROM forecast f JOIN people p USING (export_id, user_id) WHERE f.export_id = '${jobId}' AND f.is_latest_week AND NOT p.is_rep GROUP BY ALL ORDER BY commit_to_quota`,
    limit: 10,
  },
});
console.log(indent(textOf(managers)));

// The hygiene week: the latest week that began at least two days before the export (early in a
// week its calls are still coming in), the week the export's summary counts too.
step(4, "Who has not updated their Commit call in the hygiene week?");
const stale = await client.callTool({
  name: "clari_query",
  arguments: {
    sql: "SELECT name, role, manager_name FROM hygiene('net_bookings') WHERE NOT updated ORDER BY manager_name, name",
    limit: 8,
  },
});
const staleRows = stale.structuredContent.rows.map(([name, role, manager]) => `${name} (${role}, reports to ${manager ?? "nobody"})`);
console.log(indent(`${stale.structuredContent.row_count} people: ${staleRows.join("; ")}${stale.structuredContent.truncated ? "; …" : ""}`));

step(5, "Read the export as an MCP resource (first page of normalised rows)");
const page = JSON.parse((await client.readResource({ uri: `clari://exports/${jobId}/rows/1` })).contents[0].text);
const first = page.rows[0];
console.log(indent(`${page.totalRows} rows in ${page.pages} pages; first row: ${first.user} | ${first.role} | ${first.field} | ${first.dataType} | week ${first.week} | ${first.value}`));

step(6, "Ask the same export again: answered from the local store, no quota spent");
const again = await client.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", includeHistorical: true } });
console.log(indent(textOf(again).split("\n")[0]));

await client.close();
console.log(`\n${bold("Done")} in ${((Date.now() - started) / 1000).toFixed(1)}s. Use it from your assistant: see README.md (Claude Desktop, Claude Code, VS Code, Cursor).`);
