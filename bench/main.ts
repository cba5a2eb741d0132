// `npm run bench -- <name> [flags]`: runs bench/<name>/main.ts (full mode unless --quick).
//   npm run bench -- list
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const names = (await fs.readdir(here, { withFileTypes: true }))
  .filter((e) => e.isDirectory() && e.name !== "lib")
  .map((e) => e.name)
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || name === "list" || !names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${names.join("|")}> [--quick] [flags]\n`);
  process.exit(name === "list" ? 0 : 2);
}
const child = spawn(process.execPath, ["--import", "tsx", path.join(here, name, "main.ts"), ...rest], {
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
