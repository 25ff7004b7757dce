/**
 * A minimal MCP Apps host for the forecast view, used by the browser test and by `npm run docs` for the
 * README's screenshot: a loopback node:http page built on ext-apps' AppBridge, which reads the view's
 * ui:// resource and relays the view's tools/call to the real MCP server through an SDK client.
 * The view runs in a sandboxed srcdoc iframe under the CSP its resource declares (nothing beyond inline code).
 */
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { build } from "esbuild";

export const VIEW_URI = "ui://clari/forecast-view.html";
/** Debian's chromium, or CHROMIUM_PATH. */
export const chromiumPath = () => [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));

/** The host page's script: AppBridge between the iframe and this page's /call and /resource endpoints. */
const HOST_SCRIPT = `
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
const post = async (path, body) => {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error);
  return json;
};
const boot = window.__boot;
const iframe = document.getElementById("view");
const bridge = new AppBridge(null, { name: "clari-test-host", version: "1.0.0" }, { serverTools: {}, serverResources: {} }, {
  hostContext: { theme: boot.theme, displayMode: "inline", availableDisplayModes: ["inline"], platform: "web", locale: "en-US" },
});
bridge.oncalltool = (params) => { window.__calls.push(params); return post("/call", params); };
bridge.onreadresource = (params) => post("/resource", params);
bridge.oninitialized = async () => {
  await bridge.sendToolInput({ arguments: boot.toolArguments });
  await bridge.sendToolResult(boot.toolResult);
};
bridge.onsizechange = ({ height }) => { if (height) iframe.style.height = height + "px"; };
window.__setTheme = (theme) => bridge.sendHostContextChange({ theme });
const resource = await post("/resource", { uri: boot.viewUri });
const content = resource.contents[0];
const csp = content._meta?.ui?.csp ?? {};
const list = (domains) => (domains && domains.length ? " " + domains.join(" ") : "");
const policy = "default-src 'none'; script-src 'unsafe-inline'" + list(csp.resourceDomains) + "; style-src 'unsafe-inline'" + list(csp.resourceDomains) +
  "; img-src data:" + list(csp.resourceDomains) + "; font-src" + (list(csp.resourceDomains) || " 'none'") + "; connect-src" + (list(csp.connectDomains) || " 'none'") + "; frame-src" + (list(csp.frameDomains) || " 'none'");
window.__mimeType = content.mimeType;
window.__policy = policy;
await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
iframe.srcdoc = content.text.replace("<head>", '<head><meta http-equiv="Content-Security-Policy" content="' + policy + '">');
`;

let hostBundle;
async function hostScript() {
  hostBundle ??= build({
    stdin: { contents: HOST_SCRIPT, resolveDir: new URL("..", import.meta.url).pathname, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "warning",
  }).then((r) => r.outputFiles[0].text);
  return hostBundle;
}

const page = (boot, theme) => `<!doctype html><html><head><meta charset="utf-8"><title>clari-mcp forecast view</title>
<style>body{margin:0;padding:16px;background:${theme === "dark" ? "#111214" : "#f3f3f5"};font:13px system-ui}iframe{border:1px solid #ccc;border-radius:8px;width:800px;height:600px;background:transparent;display:block}</style>
</head><body><iframe id="view" sandbox="allow-scripts" title="Forecast view"></iframe>
<script>window.__boot = ${JSON.stringify(boot).replace(/</g, "\\u003c")}; window.__calls = [];</script>
<script type="module" src="/host.js"></script></body></html>`;

/**
 * Start the host for one tool result. `client` is a connected SDK Client to the server.
 * Returns the page's URL and close(); every request the browser makes reaches this server (or it is refused).
 */
export async function startViewHost({ client, toolArguments, toolResult, theme = "light" }) {
  const script = await hostScript();
  const boot = { viewUri: VIEW_URI, toolArguments, toolResult, theme };
  const server = createServer(async (req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    try {
      if (req.method === "GET" && req.url === "/") return send(200, "text/html; charset=utf-8", page(boot, theme));
      if (req.method === "GET" && req.url === "/host.js") return send(200, "text/javascript", script);
      if (req.url === "/favicon.ico") return send(204, "image/x-icon", "");
      if (req.method === "POST" && (req.url === "/call" || req.url === "/resource")) {
        let body = "";
        for await (const chunk of req) body += chunk;
        const params = JSON.parse(body);
        const result = req.url === "/call" ? await client.callTool(params) : await client.readResource(params);
        return send(200, "application/json", JSON.stringify(result));
      }
      send(404, "text/plain", "not found");
    } catch (error) {
      send(500, "application/json", JSON.stringify({ error: String(error?.message ?? error) }));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Launch headless chromium (puppeteer-core), open the host page and wait until the view has drawn its bars. */
export async function openView(url, { width = 840, height = 900 } = {}) {
  const { default: puppeteer } = await import("puppeteer-core");
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("chromium not found (apt-get install chromium, or set CHROMIUM_PATH)");
  const browser = await puppeteer.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu", "--lang=en-US"] });
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  await page.goto(url, { waitUntil: "load" });
  const frame = await viewFrame(page).catch((error) => {
    throw new Error(`${error.message}: ${problems.join("; ")}`);
  });
  await frame.waitForSelector("svg g.row", { timeout: 30_000 });
  return { browser, page, frame, requests, problems };
}

export async function viewFrame(page) {
  const handle = await page.waitForSelector("iframe#view");
  for (let i = 0; i < 100; i++) {
    const frame = await handle.contentFrame();
    if (frame && (await frame.$("#root").catch(() => null))) return frame;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the view's iframe did not load");
}

/** Wait until the view has drawn again after an interaction (it stamps body[data-ready]). */
export async function nextDraw(frame, action) {
  const before = await frame.evaluate(() => document.body.dataset.ready ?? "");
  await action();
  await frame.waitForFunction((b) => (document.body.dataset.ready ?? "") !== b, { timeout: 30_000 }, before);
}

/**
 * The README's screenshot, as the browser test takes it: export a forecast through `client`, open the view,
 * drill into the first manager and save the view's frame as a PNG at `path`.
 */
export async function screenshotForecastView({ client, path, toolArguments = { forecastId: "net_bookings", includeHistorical: true, waitSeconds: 45 } }) {
  const toolResult = await client.callTool({ name: "clari_export_forecast", arguments: toolArguments });
  if (toolResult.isError) throw new Error(toolResult.content?.[0]?.text ?? "the export failed");
  const host = await startViewHost({ client, toolArguments, toolResult });
  const { browser, page, frame } = await openView(host.url);
  try {
    const manager = await frame.$('g.row[data-manager="true"]');
    if (manager) await nextDraw(frame, () => manager.click());
    await page.mouse.move(0, 0);
    await (await page.$("iframe#view")).screenshot({ path });
  } finally {
    await browser.close();
    await host.close();
  }
}
