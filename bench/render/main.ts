// Render-stage benchmark: a generated monorepo of 1,000 app folders (10 small manifests each;
// every fifth app is a kustomize overlay over a shared base, the rest plain directories) is
// rendered cold, then again at the same commit (served from the render cache).
//   npx tsx bench/render/main.ts [--apps 1000] [--concurrency 4]
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderInput, Renderer } from "../../src/engine/render/index.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";

const { values } = parseArgs({
  options: { apps: { type: "string", default: "1000" }, concurrency: { type: "string", default: "4" } },
});
const APPS = Number(values.apps);
const CONCURRENCY = Number(values.concurrency);
const MANIFESTS_PER_APP = 10;
const KUSTOMIZE_EVERY = 5;

function manifest(app: number, i: number): string {
  return [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    `  name: app-${app}-cm-${i}`,
    "  labels:",
    `    app: app-${app}`,
    "data:",
    `  index: "${i}"`,
    `  setting: value-${app}-${i}`,
    "",
  ].join("\n");
}

async function generateMonorepo(root: string): Promise<string[]> {
  const paths: string[] = [];
  for (let app = 0; app < APPS; app++) {
    const dir = `apps/app-${String(app).padStart(4, "0")}`;
    await fs.mkdir(path.join(root, dir), { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < MANIFESTS_PER_APP; i++) {
      names.push(`cm-${i}.yaml`);
      await fs.writeFile(path.join(root, dir, `cm-${i}.yaml`), manifest(app, i));
    }
    if (app % KUSTOMIZE_EVERY === 0) {
      const resources = names.map((n) => `  - ${n}`).join("\n");
      await fs.writeFile(
        path.join(root, dir, "kustomization.yaml"),
        `namespace: app-${app}\ncommonLabels:\n  tier: bench\nresources:\n${resources}\n`,
      );
    }
    paths.push(dir);
  }
  return paths;
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

async function renderAll(
  renderer: Renderer,
  inputs: RenderInput[],
): Promise<{ ms: number; objects: number }> {
  let objects = 0;
  const started = performance.now();
  await pool(inputs, CONCURRENCY, async (input) => {
    const { objects: rendered } = await renderer.render(input);
    objects += rendered.length;
  });
  return { ms: performance.now() - started, objects };
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), "tether-render-bench-"));
try {
  const helmBinary = await ensureComponent("helm");
  const kustomizeBinary = await ensureComponent("kustomize");
  const generated = performance.now();
  const appPaths = await generateMonorepo(root);
  console.log(
    `generated ${APPS} apps × ${MANIFESTS_PER_APP} manifests in ${Math.round(performance.now() - generated)} ms`,
  );

  const renderer = createRenderer({ helmBinary, kustomizeBinary, cacheEntries: APPS * 2 });
  const commit = "0123456789abcdef0123456789abcdef01234567";
  const inputs: RenderInput[] = appPaths.map((p) => ({
    repoRoot: root,
    commit,
    namespace: "bench",
    appName: path.basename(p),
    source: { repoURL: "https://git.example.com/monorepo.git", path: p },
  }));

  const cold = await renderAll(renderer, inputs);
  const coldStats = { ...renderer.stats };
  const cached = await renderAll(renderer, inputs);
  const kustomizeApps = Math.ceil(APPS / KUSTOMIZE_EVERY);

  console.log(
    `apps: ${APPS} (${APPS - kustomizeApps} directory, ${kustomizeApps} kustomize), concurrency ${CONCURRENCY}`,
  );
  console.log(
    `cold:   ${cold.ms.toFixed(0)} ms  (${cold.objects} objects, ${(cold.ms / APPS).toFixed(2)} ms/app)`,
  );
  console.log(
    `cached: ${cached.ms.toFixed(1)} ms  (${cached.objects} objects, ${((cached.ms * 1000) / APPS).toFixed(1)} µs/app)`,
  );
  console.log(`ratio cold/cached: ${(cold.ms / cached.ms).toFixed(0)}×`);
  console.log(`work cold: ${JSON.stringify(coldStats)}`);
  console.log(`work after cached pass: ${JSON.stringify(renderer.stats)}`);
  if (cold.objects !== APPS * MANIFESTS_PER_APP)
    throw new Error(`expected ${APPS * MANIFESTS_PER_APP} objects`);
  if (cached.objects !== cold.objects || renderer.stats.renders !== coldStats.renders) {
    throw new Error("the cached pass did work or returned different objects");
  }
} finally {
  await fs.rm(root, { recursive: true, force: true });
}
