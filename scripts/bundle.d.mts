export declare const DEFAULT_TARGETS: string[];
export declare class BundleError extends Error {}
export declare function parseTarget(target: string): { os: string; cpu: string; libc: string | undefined };
export declare function expectedKind(target: string): string;
export declare function nativeKind(bytes: Uint8Array): string | undefined;
export declare function checkBinding(nodeModules: string, target: string): Array<{ file: string; kind: string | undefined }>;
export declare function lockedTargets(lock: { packages?: Record<string, unknown> }): string[];
export declare function buildBundles(options?: { outDir?: string; targets?: string[]; log?: (line: string) => void }): Promise<Array<{ target: string; platform: string; path: string; size: number; unpacked: number; files: string[] }>>;
