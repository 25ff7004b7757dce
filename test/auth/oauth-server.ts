/** The built binary as a team server: HTTP, the sandbox, sign-in with a test authorization server. */
import { createServer } from "node:net";
import { startHttpServer } from "../e2e/http-server.js";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export type TeamServer = Awaited<ReturnType<typeof startHttpServer>> & { resource: string };

/** Starts dist/cli.js with --oauth-issuer and a --public-url on its own (pre-chosen) port. */
export async function startTeamServer(issuer: string, args: string[] = [], env: Record<string, string> = {}): Promise<TeamServer> {
  const port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  const server = await startHttpServer(["--sandbox", "--no-cache", "--sandbox-job-ms", "1500", "--port", String(port), "--oauth-issuer", issuer, "--public-url", resource, "--log-level", "debug", ...args], env);
  return { ...server, resource };
}
