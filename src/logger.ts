/**
 * Logs go to stderr only (stdout belongs to the MCP protocol in stdio mode), one line each,
 * with every registered secret scrubbed.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { redactSecrets } from "./security/redact.js";
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

/** Who a line is about (over HTTP: the name of the bearer token the request came with), for every line logged while serving it. */
const requestLabel = new AsyncLocalStorage<string>();

/** Runs `fn` outside any request: lines from what it starts (a child process's output) carry no caller's label. */
export function withoutLogLabel<T>(fn: () => T): T {
  return requestLabel.exit(fn);
}

/** A log line's message is cut here: an upstream or a query can produce megabytes of text. */
const MAX_MESSAGE = 4096;

/** Runs `fn` with every log line it causes (awaited work included) labelled `label`. */
export function withLogLabel<T>(label: string | undefined, fn: () => T): T {
  return label === undefined ? fn() : requestLabel.run(label, fn);
}

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log = (at: LogLevel) => (message: string) => {
    if (ORDER[at] > ORDER[level]) return;
    const label = requestLabel.getStore();
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}… (${message.length - MAX_MESSAGE} more characters)` : message;
    write(`clari-mcp ${at}: ${label === undefined ? "" : `[${label}] `}${oneLine(redactSecrets(text))}\n`);
  };
  return { error: log("error"), warn: log("warn"), info: log("info"), debug: log("debug") };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
