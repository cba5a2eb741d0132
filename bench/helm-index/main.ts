// Memory and event-loop cost of reading a Helm repository's index.yaml (issue 20: a 44 MB index
// costs Flux's source-controller ~500 MB). A generated index shaped like `helm repo index` output
// (40 versions per chart, annotations, dependencies, maintainers) is read two ways, each in its
// own process so resident sizes do not mix: the whole text parsed at once, and one chart at a
// time as the controller does (src/engine/source/helmrepo/index-chunks.ts). Prints, per size:
// parse time, the longest event-loop stall, peak RSS above the process's start, and the heap the
// slim entries keep once the text is dropped.
//   npm run bench -- helm-index [--sizes 5,50] [--quick]   (quick: 1 and 5 MB)
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { promisify } from "node:util";
import { parseIndexEntriesByChart } from "../../src/engine/source/helmrepo/index-chunks.js";
import { parseIndexEntries } from "../../src/engine/source/helmrepo/index-entries.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string" },
    quick: { type: "boolean", default: false },
    child: { type: "string" },
    mode: { type: "string" },
  },
});

function generateIndex(megabytes: number): { text: string; versions: number } {
  const lines: string[] = ["apiVersion: v1", "entries:"];
  let size = 0;
  let versions = 0;
  for (let chart = 0; size < megabytes * 1024 * 1024; chart++) {
    const name = `chart-${chart}`;
    lines.push(`  ${name}:`);
    for (let v = 0; v < 40; v++, versions++) {
      const block = [
        "  - annotations:",
        "      artifacthub.io/changes: |",
        "        - kind: changed",
        `          description: Update dependency ${name} to v${v}.0.0 with a long description of the change`,
        "      artifacthub.io/license: Apache-2.0",
        "    apiVersion: v2",
        `    appVersion: ${v}.2.3`,
        `    created: "2026-11-0${(v % 9) + 1}T10:00:00.123456789Z"`,
        "    dependencies:",
        "    - condition: redis.enabled",
        "      name: redis",
        "      repository: https://charts.example.com/bitnami",
        "      version: 17.x.x",
        `    description: A Helm chart for Kubernetes that installs ${name} with reasonable defaults`,
        `    digest: ${"ab12cd34".repeat(8)}`,
        `    home: https://github.com/example/${name}`,
        "    maintainers:",
        "    - email: someone@example.com",
        "      name: someone",
        `    name: ${name}`,
        "    type: application",
        "    urls:",
        `    - https://github.com/example/releases/download/${name}-${v}.0.0/${name}-${v}.0.0.tgz`,
        `    version: ${v}.0.0`,
      ].join("\n");
      lines.push(block);
      size += block.length + 1;
    }
  }
  return { text: `${lines.join("\n")}\n`, versions };
}

const holder: { entries?: unknown } = {};

/** One measurement, in this (child) process. */
async function measure(megabytes: number, mode: string): Promise<Record<string, number>> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  let peak = 0;
  let longest = 0;
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 1);
  const read = async () => {
    const { text, versions } = generateIndex(megabytes);
    gc();
    const start = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
    peak = start.rss;
    const began = performance.now();
    last = began;
    const entries =
      mode === "by-chart"
        ? await parseIndexEntriesByChart(text, "https://charts.example.com")
        : parseIndexEntries(text, "https://charts.example.com");
    const ms = performance.now() - began;
    longest = Math.max(longest, performance.now() - last);
    peak = Math.max(peak, process.memoryUsage().rss);
    // Held outside any async frame: an awaited value can stay in a suspended frame's registers,
    // which would hide what dropping it frees.
    holder.entries = entries;
    return { versions, ms, start, textBytes: text.length };
  };
  const { versions, ms, start, textBytes } = await read();
  clearInterval(sampler);
  // What the slim entries themselves keep once the text is gone: the heap with them minus the heap
  // without them (a difference against a baseline before the read would count yaml's own lazily
  // built code and caches too).
  gc();
  gc();
  const withEntries = process.memoryUsage().heapUsed;
  holder.entries = undefined;
  gc();
  gc();
  const kept = withEntries - process.memoryUsage().heapUsed;
  return { versions, ms, longest, peakAboveStart: peak - start.rss, kept, textBytes };
}

const MB = 1024 * 1024;
if (values.child) {
  const result = await measure(Number(values.child), values.mode ?? "by-chart");
  process.stdout.write(JSON.stringify(result));
} else {
  const sizes = (values.sizes ?? (values.quick ? "1,5" : "5,50")).split(",").map(Number);
  const self = fileURLToPath(import.meta.url);
  const run = promisify(execFile);
  console.log("index   mode        versions  parse      longest stall  peak RSS above start  heap kept");
  for (const size of sizes) {
    for (const mode of ["whole", "by-chart"]) {
      const { stdout } = await run(
        process.execPath,
        ["--expose-gc", "--import", "tsx", self, "--child", String(size), "--mode", mode],
        { maxBuffer: 1024 * 1024 },
      );
      const r = JSON.parse(stdout) as Record<string, number>;
      const f = (n: number | undefined, unit: string, div = 1) => `${((n ?? 0) / div).toFixed(0)} ${unit}`;
      console.log(
        [
          `${size} MB`.padEnd(7),
          mode.padEnd(11),
          String(r["versions"]).padEnd(9),
          f(r["ms"], "ms").padEnd(10),
          f(r["longest"], "ms").padEnd(14),
          f(r["peakAboveStart"], "MB", MB).padEnd(21),
          `${((r["kept"] ?? 0) / MB).toFixed(1)} MB`,
        ].join(" "),
      );
    }
  }
}
