export declare class BundleError extends Error {}
export declare function checkDuckdbBindings(nodeModules: string, platforms: unknown): string[];
export declare function buildBundle(options?: { outDir?: string; targets?: string[]; log?: (line: string) => void }): Promise<{ path: string; size: number; unpacked: number; files: string[] }>;
