/**
 * 2025-era Streamable HTTP sessions (initialize, Mcp-Session-Id, GET streams, DELETE), as Claude
 * Desktop, VS Code and the Inspector use them: one McpServer per session in a bounded table
 * (session-table.ts) whose limits are per caller. A session belongs to the caller that opened it
 * (a static token's name, or a signed-in person's id: `authInfo.clientId`); another caller's
 * request for it is answered as for a session that does not exist.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import { isInitializeRequest, type AuthInfo } from "@modelcontextprotocol/server";
import type { Deps } from "../deps.js";
import { createServer } from "../server.js";
import { requestIdOf, rpcError, sendJson } from "./http-guard.js";
import { SessionTable, type SessionEntry } from "./session-table.js";

interface Session extends SessionEntry {
  transport: NodeStreamableHTTPServerTransport;
  tokenName: string | undefined;
}

/** Sessions unused this long are closed (clients that vanished without DELETE). */
const SESSION_IDLE_MS = 30 * 60_000;
/** A full table evicts an idle session of its heaviest caller for a new one (session-table.ts). */
const MAX_SESSIONS = 1000;
/**
 * One named caller holds at most this many sessions; past it, its initializes are refused (429).
 * Without tokens (loopback only) every client is the one local user, whose table it all is.
 */
const MAX_SESSIONS_PER_CALLER = 100;
/** Seconds a client is told to wait when every session is busy. */
const BUSY_RETRY_AFTER_S = "5";

/** The caller's identity: the verified token's name ("" for the one local user when no token is configured). */
const callerOf = (tokenName: string | undefined): string => tokenName ?? "";
const capOf = (caller: string): number => (caller === "" ? Infinity : MAX_SESSIONS_PER_CALLER);

export interface LegacySessions {
  readonly size: number;
  handle(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown, tokenName: string | undefined): Promise<void>;
  closeAll(): Promise<void>;
}

export function createLegacySessions(deps: Deps): LegacySessions {
  const sessions = new SessionTable<Session>(MAX_SESSIONS, capOf);
  const sweep = setInterval(() => sessions.sweep(Date.now() - SESSION_IDLE_MS), 60_000);
  sweep.unref();

  async function handle(req: IncomingMessage, res: ServerResponse, body: unknown, tokenName: string | undefined): Promise<void> {
    const id = requestIdOf(body);
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = sessions.get(sessionId);
      if (!session || session.tokenName !== tokenName) return sendJson(res, 404, rpcError(-32001, "Session not found; initialize a new session.", id));
      sessions.touch(sessionId, session);
      // A busy session (answering, or streaming to the client) is never evicted.
      const stream = req.method === "GET";
      if (stream) session.openStreams += 1;
      else session.inFlight += 1;
      res.on("close", () => {
        if (stream) session.openStreams -= 1;
        else session.inFlight -= 1;
        sessions.touch(sessionId, session);
      });
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return sendJson(res, 400, rpcError(-32000, "Bad request: no session id; the first request must be initialize.", id));
    }
    const caller = callerOf(tokenName);
    const admission = sessions.admit(caller);
    if (admission === "caller-cap") {
      const who = tokenName === undefined ? "This client" : `Caller ${JSON.stringify(tokenName)}`;
      return sendJson(
        res,
        429,
        rpcError(-32000, `${who} already holds ${sessions.held(caller)} sessions, the most one caller may hold. Close sessions it no longer uses (DELETE with their Mcp-Session-Id); idle ones also end after ${SESSION_IDLE_MS / 60_000} minutes.`, id),
      );
    }
    if (admission === "busy") {
      return sendJson(res, 503, rpcError(-32000, "Every session is busy; close unused ones (DELETE) or retry later.", id), { "retry-after": BUSY_RETRY_AFTER_S });
    }
    let added = false;
    try {
      await openSession(req, res, body, caller, tokenName, () => (added = true));
    } finally {
      if (!added) sessions.release(caller);
    }
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown, caller: string, tokenName: string | undefined, onAdded: () => void): Promise<void> {
    const server = createServer(deps);
    let session: Session | undefined;
    let answered = false;
    res.on("close", () => {
      answered = true;
      if (!session || !transport.sessionId) return;
      session.inFlight -= 1;
      sessions.touch(transport.sessionId, session);
    });
    let closed = false;
    // Ending a session (DELETE, transport close, idle expiry) releases its McpServer once.
    const end = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      if (transport.sessionId) sessions.delete(transport.sessionId);
      await server.close().catch(() => undefined);
    };
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        // The initialize itself is in flight until its answer is sent.
        session = { transport, caller, tokenName, lastSeen: Date.now(), inFlight: answered ? 0 : 1, openStreams: 0, close: end };
        sessions.add(id, session);
        onAdded();
      },
      onsessionclosed: () => end(),
    });
    transport.onclose = () => void end();
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // The SDK refused the initialize (e.g. wrong Accept): no session exists to end it later.
    if (!transport.sessionId) await end();
  }

  return {
    get size() {
      return sessions.size;
    },
    handle,
    async closeAll() {
      clearInterval(sweep);
      await sessions.closeAll();
    },
  };
}
