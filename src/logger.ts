/**
 * Logs go to stderr only (stdout belongs to the MCP protocol in stdio mode), one line each,
 * with every registered secret scrubbed.
 */
import { redactSecrets } from "./client/redact.js";
import type { LogLevel } from "./config.js";

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** One log line per message: control and line-separator characters are escaped, so input echoed into a log cannot forge lines. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === "\n" ? " | " : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log = (at: LogLevel) => (message: string) => {
    if (ORDER[at] <= ORDER[level]) write(`clari-mcp ${at}: ${oneLine(redactSecrets(message))}\n`);
  };
  return { error: log("error"), warn: log("warn"), info: log("info"), debug: log("debug") };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
