/**
 * Export files as resources: the list of completed exports, each file (raw when small, otherwise
 * a pointer to paged views), normalised row pages, and the newest export of a forecast tab.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/server";
import type { Deps } from "../deps.js";
import { EXPORTS_URI, EXPORT_FILE_TEMPLATE, EXPORT_ROWS_TEMPLATE, FORECAST_LATEST_TEMPLATE, exportUri, rowsUri } from "./uris.js";
import { invalidUri, jobIdVariable, jsonContent, notFound, readOrNotFound, textContent, variable } from "./resource-util.js";
import { eventRows, storedExport, summariseStored } from "../exports/index.js";

/** Files up to this size are served whole; larger ones through row pages. */
export const RAW_LIMIT_BYTES = 1024 * 1024;
export const ROWS_PER_PAGE = 500;

function completeJobIds(deps: Deps) {
  return (value: string): string[] =>
    deps.store
      .list()
      .map((e) => e.jobId)
      .filter((id) => id.startsWith(value))
      .slice(0, 100);
}

export function registerExportResources(server: McpServer, deps: Deps): void {
  server.registerResource(
    "exports",
    EXPORTS_URI,
    { title: "Completed Clari exports", description: "Exports in the local store and DONE jobs on Clari", mimeType: "application/json" },
    async (uri) => {
      const stored = deps.store.list().map((e) => ({ jobId: e.jobId, kind: e.kind, request: e.request, bytes: e.bytes, completedAt: new Date(e.completedAt).toISOString(), uri: exportUri(e.jobId) }));
      let remote: Array<{ jobId: string; status: string; title?: string | undefined; module?: string | undefined }> = [];
      let remoteError: string | undefined;
      try {
        remote = (await deps.client.listExportJobs({ signal: AbortSignal.timeout(10_000) }))
          .filter((j) => j.status === "DONE" && !deps.store.get(j.jobId))
          .map((j) => ({ jobId: j.jobId, status: j.status, title: j.title, module: j.module }));
      } catch (error) {
        remoteError = (error as Error).message;
      }
      return jsonContent(uri.href, { stored, doneOnClariNotStored: remote, ...(remoteError ? { remoteError } : {}) });
    },
  );

  server.registerResource(
    "export-file",
    new ResourceTemplate(EXPORT_FILE_TEMPLATE, {
      list: async () => ({
        resources: deps.store.list().map((e) => ({
          uri: exportUri(e.jobId),
          name: `${e.kind} export ${e.jobId}`,
          title: `${e.title ?? e.kind} (${new Date(e.completedAt).toISOString().slice(0, 16)}Z)`,
          mimeType: e.bytes <= RAW_LIMIT_BYTES ? e.mimeType : "application/json",
          size: e.bytes,
        })),
      }),
      complete: { jobId: completeJobIds(deps) },
    }),
    { title: "Clari export file", description: "A completed export: the file itself when under 1 MB, else a summary with links to row pages" },
    async (uri, variables) => {
      const jobId = jobIdVariable(variables);
      const entry = await readOrNotFound(uri.href, () => storedExport(jobId, deps));
      if (entry.bytes <= RAW_LIMIT_BYTES) return textContent(uri.href, entry.mimeType, (await deps.store.read(jobId)).toString("utf8"));
      const { summary } = await summariseStored(entry, deps);
      return jsonContent(uri.href, {
        jobId,
        kind: entry.kind,
        bytes: entry.bytes,
        note: `The file is ${entry.bytes} bytes; read it a page of ${ROWS_PER_PAGE} rows at a time, or ask clari_query (SQL) of it.`,
        firstPage: rowsUri(jobId, 1),
        summary,
      });
    },
  );

  server.registerResource(
    "export-rows",
    new ResourceTemplate(EXPORT_ROWS_TEMPLATE, { list: undefined, complete: { jobId: completeJobIds(deps) } }),
    { title: "Clari export rows", description: `Normalised rows of an export, ${ROWS_PER_PAGE} per page`, mimeType: "application/json" },
    async (uri, variables) => {
      const jobId = jobIdVariable(variables);
      const page = Number(variable(variables, "page"));
      if (!Number.isInteger(page) || page < 1) throw invalidUri(`Page must be a positive integer (got ${JSON.stringify(variable(variables, "page").slice(0, 20))}).`);
      const entry = await readOrNotFound(uri.href, () => storedExport(jobId, deps));
      const start = (page - 1) * ROWS_PER_PAGE;
      let total: number;
      let rows: unknown[];
      if (entry.kind === "forecast") {
        const table = await deps.tables.get(jobId);
        total = table.length;
        rows = [];
        for (let i = start; i < Math.min(total, start + ROWS_PER_PAGE); i++) rows.push(table.row(i));
      } else {
        const all = eventRows(entry.kind, JSON.parse((await deps.store.read(jobId)).toString("utf8")) as unknown);
        total = all.length;
        rows = all.slice(start, start + ROWS_PER_PAGE);
      }
      const pages = Math.max(1, Math.ceil(total / ROWS_PER_PAGE));
      return jsonContent(uri.href, { jobId, kind: entry.kind, page, pages, totalRows: total, rows, ...(page < pages ? { nextUri: rowsUri(jobId, page + 1) } : {}) });
    },
  );

  server.registerResource(
    "forecast-latest",
    new ResourceTemplate(FORECAST_LATEST_TEMPLATE, {
      list: undefined,
      complete: {
        forecastId: (value) =>
          [...new Set(deps.store.list().filter((e) => e.kind === "forecast").map((e) => String(e.request.forecastId ?? "")))].filter((id) => id && id.startsWith(value)),
      },
    }),
    { title: "Newest stored forecast export", description: "Summary of the newest stored export of a Forecast Tab", mimeType: "application/json" },
    async (uri, variables) => {
      const forecastId = variable(variables, "forecastId");
      const entry = deps.store.list().find((e) => e.kind === "forecast" && e.request.forecastId === forecastId);
      if (!entry) throw notFound(uri.href, `No stored export of forecast ${JSON.stringify(forecastId.slice(0, 100))}; create one with clari_export_forecast.`);
      const { summary } = await summariseStored(entry, deps);
      return jsonContent(uri.href, { jobId: entry.jobId, request: entry.request, completedAt: new Date(entry.completedAt).toISOString(), file: exportUri(entry.jobId), summary });
    },
  );
}
