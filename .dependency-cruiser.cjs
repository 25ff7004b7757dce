/**
 * The layering of src/ (docs/ARCHITECTURE.md opens with the same map), checked by `npm run lint`.
 * Imports point down this list; a folder may import its own layer and the ones below it:
 *   cli -> transports -> server -> tasks, prompts -> tools, resources -> deps -> exports (through
 *   exports/index.ts only) -> state -> client -> config, logger, version -> security.
 * The sandbox imports nothing from the product. Type-only imports count like any other.
 */
const LAYERS = [
  { name: "cli", path: "^src/cli\\.ts$" },
  { name: "transports", path: "^src/transports/" },
  { name: "server", path: "^src/server\\.ts$" },
  { name: "tasks, prompts", path: "^src/(tasks|prompts)/" },
  { name: "tools, resources", path: "^src/(tools|resources)/" },
  { name: "deps", path: "^src/deps\\.ts$" },
  { name: "exports", path: "^src/exports/" },
  { name: "state", path: "^src/state/" },
  { name: "client", path: "^src/client/" },
  { name: "config, logger, version", path: "^src/(config|logger|version|package-file)\\.ts$|^src/config/" },
  { name: "security", path: "^src/security/" },
];

const climbs = LAYERS.slice(1).map((layer, i) => ({
  name: `no-climb-from-${layer.name.replace(/[^a-z]+/g, "-")}`,
  comment: `${layer.name} may not import a layer above it (${LAYERS.slice(0, i + 1).map((l) => l.name).join("; ")})`,
  severity: "error",
  from: { path: layer.path },
  to: { path: LAYERS.slice(0, i + 1).map((l) => `(${l.path})`).join("|") },
}));

module.exports = {
  forbidden: [
    { name: "no-circular", comment: "no import cycle", severity: "error", from: { path: "^src/" }, to: { circular: true } },
    ...climbs,
    {
      name: "exports-front-door",
      comment: "outside src/exports, import the export life cycle from src/exports/index.ts only",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/exports/" },
      to: { path: "^src/exports/", pathNot: "^src/exports/index\\.ts$" },
    },
    {
      name: "resources-not-tools",
      comment: "resources are siblings of tools and do not import them (tools may link to resources/uris.ts)",
      severity: "error",
      from: { path: "^src/resources/" },
      to: { path: "^src/tools/" },
    },
    {
      name: "tools-link-only-to-uris",
      comment: "tools import from resources only the URIs they link to",
      severity: "error",
      from: { path: "^src/tools/" },
      to: { path: "^src/resources/", pathNot: "^src/resources/uris\\.ts$" },
    },
    {
      name: "catalog-tools-stand-alone",
      comment: "a tool in src/tools/catalog imports no other tool; what two tools share lives in src/tools/kit",
      severity: "error",
      from: { path: "^src/tools/catalog/([^/]+)$" },
      to: { path: "^src/tools/catalog/", pathNot: "^src/tools/catalog/$1$" },
    },
    {
      name: "kit-below-catalog",
      comment: "the tool machinery (kit) does not import the tools it serves",
      severity: "error",
      from: { path: "^src/tools/kit/" },
      to: { path: "^src/tools/(catalog/|index\\.ts$)" },
    },
    {
      name: "sandbox-stands-alone",
      comment: "the simulated Clari imports nothing from the product (it is the tests' answer key)",
      severity: "error",
      from: { path: "^src/sandbox/" },
      to: { path: "^src/", pathNot: "^src/sandbox/" },
    },
    {
      name: "only-the-runtime-starts-the-sandbox",
      comment: "the product reaches the sandbox only where --sandbox starts it",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(sandbox/|cli\\.ts$|deps\\.ts$)" },
      to: { path: "^src/sandbox/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};
