/** The Node.js 24 binary npm installed for this machine, or undefined when there is none. */
export function node24Path(platform?: NodeJS.Platform, arch?: string): string | undefined;
/** The Node.js 24 binary npm installed for this machine; throws, naming the platform, when there is none. */
export function node24(): string;
