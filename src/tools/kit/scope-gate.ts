/**
 * Permissions at the tool layer (src/config/scopes.ts says which permission each tool needs): a caller
 * sees in tools/list only the tools its token allows, and a call to any other is refused before
 * it runs with HTTP 403 `insufficient_scope` naming the scope to ask for (the SDK's per-operation
 * scope challenge, on both protocol eras); resources/read needs read the same way. Callers
 * without authInfo (stdio, an open loopback server) and static bearer tokens that name no
 * permissions may do everything.
 */
import type { AuthInfo, McpServer, ScopeChallengeHandler, Tool } from "@modelcontextprotocol/server";
import type { Config } from "../../config.js";
import { allows, requiredScope, SCOPES, type Scope } from "../../config/scopes.js";
import type { ToolDefinition } from "./define-tool.js";
import { ADMIN_RESOURCES } from "../../resources/uris.js";

/** The scope challenge for something needing `scope`: the IdP's name for it, which a client asks for to step up. */
export function scopeChallenge(scope: Scope, config: Pick<Config, "oauth">): ScopeChallengeHandler {
  const name = config.oauth?.scopeNames.requested[scope] ?? `clari:${scope}`;
  const challenge = { scopes: [name] as [string], errorDescription: `This needs the ${scope} permission (scope ${name}).` };
  return ({ authInfo }) => (allows(authInfo, scope) ? undefined : challenge);
}

/** The tools/list answer for one caller: the whole list, or only the tools its permissions allow (fixtures and unknown names stay). */
export function listingFor(tools: readonly Tool[], byName: ReadonlyMap<string, Scope>, authInfo: AuthInfo | undefined): Tool[] {
  if (authInfo === undefined || SCOPES.every((s) => authInfo.scopes.includes(s))) return tools as Tool[];
  return tools.filter((tool) => {
    const scope = byName.get(tool.name);
    return scope === undefined || allows(authInfo, scope);
  });
}

/** Each tool's required permission, by name. */
export function scopesByName(tools: readonly ToolDefinition[]): Map<string, Scope> {
  return new Map(tools.map((tool) => [tool.name, requiredScope(tool)]));
}

/**
 * Makes every resource registered on `server` from now on need read (resources name and hold
 * exports), or admin for the audit trail (ADMIN_RESOURCES), by adding the scope challenge to each
 * registration's config, so the resource files stay as they are.
 */
export function resourcesNeedRead(server: McpServer, config: Pick<Config, "oauth">): void {
  const read = scopeChallenge("read", config);
  const admin = scopeChallenge("admin", config);
  const register = server.registerResource.bind(server) as (...args: unknown[]) => unknown;
  server.registerResource = ((name: string, uri: unknown, metadata: Record<string, unknown>, callback: unknown) =>
    register(name, uri, { scopeChallenge: ADMIN_RESOURCES.has(name) ? admin : read, ...metadata }, callback)) as McpServer["registerResource"];
}
