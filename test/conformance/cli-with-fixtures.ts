/**
 * The conformance suite's binary under test: the product's own CLI, plus the three fixture tools
 * the suite's server-stateless scenario calls by name. Bundled by build-fixtures-cli.ts (esbuild)
 * for the conformance test; never part of dist/.
 */
import { addServerExtension } from "../../src/server.js";
import { registerConformanceFixtures } from "./fixtures.js";

addServerExtension(registerConformanceFixtures);
await import("../../src/cli.js");
