/**
 * The Tasks extension's methods on a server: `tasks/get`, `tasks/cancel` (job-tasks.ts) and
 * `tasks/update`. A request whose client has not declared the extension is refused with -32021
 * (MissingRequiredClientCapability), as the extension requires, before its params are looked at.
 * No task of ours ever asks for input, so `tasks/update` has nothing to resume: for a task of the
 * caller's it is acknowledged and changes nothing; any other id is an unknown task (-32602).
 */
import { MissingRequiredClientCapabilityError, ProtocolError, ProtocolErrorCode, type McpServer, type ServerContext } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { cancelJobTask, declaresTasks, getJobTask, ownerOf, TASKS_EXTENSION, updateJobTask } from "./job-tasks.js";

const TASK_METHODS = ["tasks/get", "tasks/cancel", "tasks/update"] as const;
type TaskMethod = (typeof TASK_METHODS)[number];

/** Anything at all: the capability is checked before the params, which are parsed after. */
const anyParams = z.looseObject({});
const taskParams = z.looseObject({ taskId: z.string().min(1).max(256) });

function paramsOf(method: TaskMethod, params: unknown): { taskId: string } {
  const parsed = taskParams.safeParse(params);
  if (!parsed.success) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${method} needs a taskId (1-256 characters), the id a tools/call answered with.`);
  return parsed.data;
}

export function registerTasks(server: McpServer, deps: Deps): void {
  const handlers: Record<TaskMethod, (taskId: string, ctx: ServerContext) => Promise<object>> = {
    "tasks/get": (taskId, ctx) => getJobTask(taskId, deps, ctx.mcpReq.signal, ownerOf(ctx)),
    "tasks/cancel": (taskId, ctx) => cancelJobTask(taskId, deps, ownerOf(ctx)),
    "tasks/update": (taskId, ctx) => updateJobTask(taskId, deps, ownerOf(ctx)),
  };
  for (const method of TASK_METHODS) {
    server.server.setRequestHandler(method, { params: anyParams }, (params, ctx) => {
      if (!declaresTasks(ctx, server)) {
        throw new MissingRequiredClientCapabilityError(
          { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
          `${method} needs the client to declare the ${TASKS_EXTENSION} extension in its capabilities.`,
        );
      }
      return handlers[method](paramsOf(method, params).taskId, ctx) as never;
    });
  }
}
