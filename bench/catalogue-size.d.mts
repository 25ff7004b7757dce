/** Types of catalogue-size.mjs for the TypeScript tests that import it. */
export declare const TOKEN_BUDGET: number;
export declare function tokens(chars: number): number;
export declare function measure(value: unknown): { bytes: number; chars: number; tokens: number };
