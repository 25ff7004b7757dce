/**
 * Sign-in end to end: a real authorization server (oidc-provider on loopback) and the built binary
 * as a team server. The official SDK client's OAuth flow discovers the protected resource metadata
 * from the 401, reads the authorization server's metadata, registers itself (DCR), signs a test
 * person in (login and consent forms over HTTP, PKCE, a resource indicator), gets a JWT access
 * token for this server and calls tools, on both protocol eras. The flow's requests and statuses
 * are printed (and written to the system temp folder) as its transcript.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnauthorizedError } from "@modelcontextprotocol/client";
import { startAuthorizationServer, type AuthorizationServer, type Person } from "./authorization-server.js";
import { startTeamServer, type TeamServer } from "./oauth-server.js";
import { connectSignedIn, PersonProvider, Transcript } from "./sign-in.js";

let as: AuthorizationServer;
let server: TeamServer;
const transcript = new Transcript();

beforeAll(async () => {
  as = await startAuthorizationServer();
  server = await startTeamServer(as.issuer);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await as?.close();
  const file = path.join(tmpdir(), "clari-mcp-oauth-transcript.txt");
  writeFileSync(file, `${transcript}\n`);
  console.log(`OAuth flow transcript (${file}):\n${transcript}`);
});

type Era = "2026-07-28" | "2025-11-25";
const signedInClient = async (person: PersonProvider, era: Era) => (await connectSignedIn(server.url, person, era, transcript)).client;

const people = new Map<Person, PersonProvider>();
const personFor = (who: Person) => people.get(who) ?? (people.set(who, new PersonProvider(who, transcript)), people.get(who)!);

describe("the SDK client's OAuth flow against a real authorization server", () => {
  it.each<Era>(["2026-07-28", "2025-11-25"])("%s: discovers, registers, signs alice in, and calls tools with her token", async (era) => {
    transcript.lines.push(`--- ${era} ---`);
    const alice = personFor("alice");
    const mcp = await signedInClient(alice, era);
    expect(mcp.getProtocolEra()).toBe(era === "2026-07-28" ? "modern" : "legacy");
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["clari_export_forecast", "clari_cancel_export_job", "clari_get_limits", "clari_query"]));
    const limits = await mcp.callTool({ name: "clari_get_limits", arguments: {} });
    expect(limits.isError).toBeFalsy();
    const exported = await mcp.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings", fresh: era === "2025-11-25" } }, { timeout: 60_000 });
    expect(exported.isError).toBeFalsy();
    expect((exported.structuredContent as { outcome: string }).outcome).toMatch(/done|reused|running/);
    await mcp.close();
    // One sign-in serves both eras: the second connects with the token it already has.
    expect(alice.signIns).toBe(1);
    // The server labels her calls with her stable id (subject at issuer), never her token.
    const issuerHost = as.issuer.replace("http://", "");
    expect(server.stderr()).toContain(`[user alice@${issuerHost}]`);
    expect(server.stderr()).not.toContain(alice.accessToken);
  }, 90_000);

  it("bob, who may only read, sees only the tools reading needs, and an export asks him to step up", async () => {
    transcript.lines.push("--- bob (read only) ---");
    const bob = personFor("bob");
    const mcp = await signedInClient(bob, "2026-07-28");
    const names = (await mcp.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["clari_get_limits", "clari_query", "clari_wait_for_job", "clari_list_export_jobs"]));
    expect(names).not.toContain("clari_export_forecast");
    expect(names).not.toContain("clari_cancel_export_job");
    // The call is refused before it runs (403 insufficient_scope, scope="clari:export"): the SDK
    // steps up, sending bob back to sign in asking for clari:export as well, and the call fails.
    const signInsBefore = bob.signIns;
    await expect(mcp.callTool({ name: "clari_export_forecast", arguments: { forecastId: "net_bookings" } })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(bob.signIns).toBe(signInsBefore + 1);
    expect(transcript.lines.some((l) => / POST .*\/mcp -> 403$/.test(l))).toBe(true);
    await mcp.close();
  }, 60_000);
});
