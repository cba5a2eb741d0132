// Builds the web UI (src/ui) into dist/ui, which the API server serves (src/api/static.ts). Vite
// prints each file's size; the plugin below adds the total, the figure the README and docs quote.
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vite";

const outDir = path.resolve(import.meta.dirname, "dist/ui");

function bundleTotal(): Plugin {
  return {
    name: "tether-bundle-total",
    apply: "build",
    closeBundle() {
      let raw = 0;
      let gzip = 0;
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (!entry.name.endsWith(".map")) {
            const bytes = fs.readFileSync(full);
            raw += bytes.length;
            gzip += gzipSync(bytes).length;
          }
        }
      };
      walk(outDir);
      const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
      process.stdout.write(
        `ui bundle total: ${kb(raw)} (gzip ${kb(gzip)}) in ${path.relative(process.cwd(), outDir)}\n`,
      );
    },
  };
}

export default defineConfig({
  root: path.resolve(import.meta.dirname, "src/ui"),
  base: "/",
  plugins: [react(), bundleTotal()],
  build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  logLevel: "info",
});
