import type { Client } from "@modelcontextprotocol/client";
import type { Browser, Frame, Page } from "puppeteer-core";

export declare const VIEW_URI: string;
export declare function chromiumPath(): string | undefined;
export declare function startViewHost(options: { client: Client; toolArguments: Record<string, unknown>; toolResult: unknown; theme?: "light" | "dark" }): Promise<{ url: string; close(): Promise<void> }>;
export declare function openView(url: string, size?: { width?: number; height?: number }): Promise<{ browser: Browser; page: Page; frame: Frame; requests: string[]; problems: string[] }>;
export declare function viewFrame(page: Page): Promise<Frame>;
export declare function nextDraw(frame: Frame, action: () => Promise<unknown>): Promise<void>;
export declare function screenshotForecastView(options: { client: Client; path: string; toolArguments?: Record<string, unknown> }): Promise<void>;
