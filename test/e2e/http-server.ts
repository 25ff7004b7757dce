/** The built binary serving Streamable HTTP on an ephemeral port, its URL read from the line it logs at start. */
import { spawn } from "node:child_process";
import { CLI, cleanEnv } from "./binary.js";

/** `cli` defaults to the built binary; the conformance test passes its own entry point. */
export async function startHttpServer(args: string[], env: Record<string, string> = {}, cli: string = CLI): Promise<{ url: string; pid: number; stderr(): string; close(signal?: NodeJS.Signals): Promise<void> }> {
  const child = spawn(process.execPath, [cli, "--transport", "http", "--port", "0", ...args], { env: cleanEnv(env) });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 10_000;
  while (!/at (http:\/\/\S+\/mcp)/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const close = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  };
  return { url: stderr.match(/at (http:\/\/\S+\/mcp)/)![1]!, pid: child.pid ?? 0, stderr: () => stderr, close };
}
