// A real container registry for the image automation tests: Debian's `docker-registry` package
// (CNCF distribution 2.8), installed here with apt-get when missing, started on 127.0.0.1 with a
// generated config and its storage in a temp dir. Images are pushed through the registry API
// itself (a config blob, a layer blob and a Docker v2 manifest per tag) — no docker daemon needed.
// If apt is impossible (no root, no sudo, no network), the project's own build of distribution
// (src/toolchain/components.ts `registry`) is used instead, and the log says so.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { freePort } from "../../src/localcluster/ports.js";
import { ManagedProcess, readLastLines } from "../../src/localcluster/process.js";
import { waitFor } from "../../src/lib/wait.js";

const run = promisify(execFile);
export const DEBIAN_REGISTRY = "/usr/bin/docker-registry";

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );

async function aptInstall(log: (line: string) => void): Promise<boolean> {
  const root = process.getuid?.() === 0;
  const prefix = root ? [] : ["sudo", "-n"];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) => {
    const [cmd = "", ...rest] = [...prefix, "apt-get", ...args];
    return run(cmd, rest, { env, timeout: 600_000 });
  };
  try {
    log("installing Debian's docker-registry with apt-get");
    await apt(["install", "-y", "--no-install-recommends", "docker-registry"]).catch(async () => {
      await apt(["update"]);
      await apt(["install", "-y", "--no-install-recommends", "docker-registry"]);
    });
    return exists(DEBIAN_REGISTRY);
  } catch (error) {
    log(`apt-get install docker-registry failed: ${(error as Error).message.split("\n")[0]}`);
    return false;
  }
}

let binary: Promise<{ path: string; args: (config: string) => string[] }> | undefined;

/** The registry binary: Debian's, installed when missing; the project's build if apt cannot. */
export function registryBinary(log: (line: string) => void = () => undefined) {
  binary ??= (async () => {
    if ((await exists(DEBIAN_REGISTRY)) || (await aptInstall(log))) {
      return { path: DEBIAN_REGISTRY, args: (config: string) => ["serve", config] };
    }
    log("falling back to the project's own build of distribution (components.ts `registry`)");
    return { path: await ensureComponent("registry"), args: (config: string) => ["serve", config] };
  })();
  return binary;
}

/** A bcrypt htpasswd line (distribution accepts only bcrypt), via perl's crypt(3) from libxcrypt. */
export async function htpasswdLine(username: string, password: string): Promise<string> {
  const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const salt = [...randomBytes(22)].map((b) => alphabet[b % 64]).join("");
  const { stdout } = await run("perl", ["-e", "print crypt($ARGV[0], $ARGV[1])", password, `$2b$05$${salt}`]);
  if (!stdout.startsWith("$2b$")) throw new Error(`perl crypt() produced no bcrypt hash: ${stdout}`);
  return `${username}:${stdout}\n`;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  pushImage(repository: string, tag: string): Promise<void>;
  /** Tags as the registry lists them. */
  tags(repository: string): Promise<string[]>;
  stop(): Promise<void>;
  /** Starts it again on the same port and storage (after `stop`, to simulate an outage). */
  start(): Promise<void>;
}

export async function startTestRegistry(
  dir: string,
  options: { auth?: { username: string; password: string }; log?: (line: string) => void } = {},
): Promise<TestRegistry> {
  const bin = await registryBinary(options.log);
  await fs.mkdir(dir, { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, "config.yml");
  const lines = [
    "version: 0.1",
    "log: { level: warn, accesslog: { disabled: true } }",
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, "data"))} }, delete: { enabled: true } }`,
    `http: { addr: "${host}", secret: "${randomBytes(16).toString("hex")}" }`,
  ];
  if (options.auth) {
    const file = path.join(dir, "htpasswd");
    await fs.writeFile(file, await htpasswdLine(options.auth.username, options.auth.password));
    lines.push(`auth: { htpasswd: { realm: tether-test, path: ${JSON.stringify(file)} } }`);
  }
  await fs.writeFile(config, `${lines.join("\n")}\n`);
  const authHeader: Record<string, string> = options.auth
    ? {
        authorization: `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64")}`,
      }
    : {};
  let process: ManagedProcess | undefined;

  const start = async () => {
    process = await ManagedProcess.start({
      name: "docker-registry",
      binary: bin.path,
      args: bin.args(config),
      logFile: path.join(dir, "registry.log"),
      pidDir: path.join(dir, "pids"),
    });
    const started = process;
    await waitFor(
      "the registry to answer /v2/",
      async () => {
        const res = await fetch(`http://${host}/v2/`, { headers: authHeader });
        return res.ok;
      },
      {
        timeoutMs: 30_000,
        abort: started.exited.then(
          async () => new Error(`registry exited: ${await readLastLines(started.logFile, 20)}`),
        ),
      },
    );
  };

  const request = async (
    method: string,
    url: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(url.startsWith("http") ? url : `http://${host}${url}`, {
      method,
      body,
      headers: { ...authHeader, ...headers },
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res;
  };

  const uploadBlob = async (repository: string, content: Buffer): Promise<string> => {
    const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
    const started = await request("POST", `/v2/${repository}/blobs/uploads/`);
    const location = new URL(started.headers.get("location") ?? "", `http://${host}`);
    location.searchParams.set("digest", digest);
    await request("PUT", location.toString(), content, { "content-type": "application/octet-stream" });
    return digest;
  };

  await start();
  return {
    host,
    async pushImage(repository, tag) {
      const configBlob = Buffer.from(
        JSON.stringify({
          architecture: "amd64",
          os: "linux",
          config: { Labels: { tag } },
          rootfs: { type: "layers", diff_ids: [] },
        }),
      );
      const layer = Buffer.from(`layer of ${repository}:${tag}`);
      const configDigest = await uploadBlob(repository, configBlob);
      const layerDigest = await uploadBlob(repository, layer);
      const manifest = {
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: {
          mediaType: "application/vnd.docker.container.image.v1+json",
          size: configBlob.length,
          digest: configDigest,
        },
        layers: [
          {
            mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
            size: layer.length,
            digest: layerDigest,
          },
        ],
      };
      await request("PUT", `/v2/${repository}/manifests/${tag}`, JSON.stringify(manifest), {
        "content-type": manifest.mediaType,
      });
    },
    async tags(repository) {
      const res = await request("GET", `/v2/${repository}/tags/list`);
      return ((await res.json()) as { tags: string[] | null }).tags ?? [];
    },
    async stop() {
      await process?.stop();
      process = undefined;
    },
    start,
  };
}
