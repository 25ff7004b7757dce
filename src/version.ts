/** The package version, read once from package.json (one level up from dist/, two from dist/chunks/). */
import { readFileSync } from "node:fs";
import { firstExisting } from "./package-file.js";

const packageJson = firstExisting(import.meta.url, ["../package.json", "../../package.json"]);
export const VERSION: string = packageJson ? (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version : "0.0.0";
