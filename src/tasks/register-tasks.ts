/**
 * The Tasks extension's methods on a server: `tasks/get` and `tasks/cancel` (job-tasks.ts).
 * No task of ours ever needs input, so `tasks/update` is not served (method not found).
 */
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { cancelJobTask, getJobTask, ownerOf } from "./job-tasks.js";

const taskParams = z.looseObject({ taskId: z.string().min(1).max(256) });

export function registerTasks(server: McpServer, deps: Deps): void {
  server.server.setRequestHandler("tasks/get", { params: taskParams }, (params, ctx) => getJobTask(params.taskId, deps, ctx.mcpReq.signal, ownerOf(ctx)));
  server.server.setRequestHandler("tasks/cancel", { params: taskParams }, (params, ctx) => cancelJobTask(params.taskId, deps, ownerOf(ctx)));
}
