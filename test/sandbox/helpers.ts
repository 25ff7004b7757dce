import { onTestFinished } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";

/** Thursday 19 November 2026, 15:00 UTC: week 8 of Q4 2026. */
export const T0 = Date.UTC(2026, 10, 19, 15, 0, 0);

export interface Clock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function clock(start = T0): Clock {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms), advance: (ms) => void (t += ms) };
}

/** Start a sandbox that is closed after the test (a hook of the test itself: this module may be shared by several files). */
export async function sandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await startSandbox(opts);
  onTestFinished(() => sb.close());
  return sb;
}

export const KEY = { apikey: "sandbox" };
export const PARTNER = { apikey: "sandbox", partnerkey: "sandbox-partner" };

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** fetch + read the body; json is undefined when the body is not JSON. */
export type CallInit = Omit<RequestInit, "body"> & { body?: unknown };

export async function call(url: string, init: CallInit = {}): Promise<Res> {
  const headers = new Headers(init.headers);
  let body = init.body as RequestInit["body"];
  if (init.body !== undefined && typeof init.body !== "string" && !(init.body instanceof FormData) && !(init.body instanceof Uint8Array)) {
    body = JSON.stringify(init.body);
    headers.set("content-type", "application/json");
  }
  const r = await fetch(url, { ...init, headers, body });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

export const get = (url: string, headers: Record<string, string> = KEY): Promise<Res> => call(url, { headers });
export const post = (url: string, body?: unknown, headers: Record<string, string> = KEY): Promise<Res> =>
  call(url, { method: "POST", headers, body });
