import type { BuildOptions, Plugin } from "esbuild";
export declare const NODE_BUNDLE_OPTIONS: BuildOptions;
export declare const ENGLISH_ZOD_LOCALES: Plugin;
