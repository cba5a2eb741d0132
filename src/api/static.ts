// The built web UI (dist/ui, from `npm run build:ui`) served by the API server: files with their
// content types, `index.html` for every other non-API path (the UI routes with the History API),
// and security headers — a Content-Security-Policy that allows only this origin's scripts, so
// injected markup could not run even if it reached the DOM.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Next } from "hono";

/** dist/ui next to src/ (from src/api/static.ts and from the compiled dist/api/static.js alike). */
export const DEFAULT_UI_DIR = fileURLToPath(new URL("../../dist/ui", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Scripts only from 'self': the policy that stops injected markup from running. */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // The diff viewer (emotion) creates empty <style> elements and fills them through the CSSOM
  // (insertRule), which CSP does not govern: allowing only the empty element's hash keeps
  // inline styles out.
  "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": UI_CSP,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

/** Paths the UI never answers: the API's own (unknown ones stay JSON 404s). */
const API_PATH = /^\/(api|metrics|healthz)(\/|$)/;

async function readFileIn(root: string, urlPath: string): Promise<Buffer | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) return undefined; // confined to the UI dir
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? await fs.readFile(file) : undefined;
  } catch {
    return undefined;
  }
}

/** Registers the catch-all GET that serves the UI; call after every API route. */
export function serveUi(app: OpenAPIHono, dir = DEFAULT_UI_DIR): void {
  const root = path.resolve(dir);
  app.get("*", async (c: Context, next: Next) => {
    const urlPath = c.req.path;
    if (API_PATH.test(urlPath)) return next();
    const wantsFile = /\.[A-Za-z0-9]+$/.test(urlPath);
    const body = wantsFile && urlPath !== "/index.html" ? await readFileIn(root, urlPath) : undefined;
    if (body) {
      const type = TYPES[path.extname(urlPath).toLowerCase()] ?? "application/octet-stream";
      const cache = urlPath.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache"; // hashed names
      return c.body(new Uint8Array(body), 200, {
        ...SECURITY_HEADERS,
        "Content-Type": type,
        "Cache-Control": cache,
      });
    }
    if (wantsFile && urlPath !== "/index.html") return next(); // a missing asset is a 404, not the app
    const index = await readFileIn(root, "index.html");
    if (!index) {
      return c.text(
        "The web UI is not built: run `npm run build:ui` (npm start does).",
        404,
        SECURITY_HEADERS,
      );
    }
    return c.body(new Uint8Array(index), 200, {
      ...SECURITY_HEADERS,
      "Content-Type": TYPES[".html"] ?? "text/html",
      "Cache-Control": "no-cache",
    });
  });
}
