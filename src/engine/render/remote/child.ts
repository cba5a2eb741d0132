// A `tether renderer` child of the controller, for when no renderer socket is given (`tether local
// up`, `tether controller` next to a cluster, the tests). It gets a scrubbed environment (nothing of
// the controller's: no KUBECONFIG, no tokens, no Tether settings) and, when the controller runs as
// root, another uid (nobody): the controller's kubeconfig, keys and Git credentials are files of
// root, mode 0600 or in 0700 folders, so the renderer — and every helm/kustomize it starts — cannot
// open them even if a repository gets a path past the symlink checks.
//
// Its workspace is a private folder: the trees it renders (the controller extracts them there, so
// their whole path is traversable by the renderer), its socket and temp folder (its own), and links
// to the helm and kustomize binaries (the local build lives under the controller's 0700 HOME).
// Started on the first render (a controller that only reads its cache never pays for it), restarted
// on the next render after it dies; a render in flight when it dies fails with RendererUnavailable.
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RenderError } from "../../errors.js";
import type { RenderBackend } from "../renderer.js";
import { neverReached, remoteRenderBackend } from "./client.js";
import { createWorkspace, exposeBinary, reachableByOthers, removeWorkspace } from "./workspace.js";

/** `nobody`/`nogroup`: owns no file of the controller. */
export const RENDERER_UID = 65534;
const START_TIMEOUT_MS = 60_000;
/** A renderer that failed to start is not started again before this (no spawn storm). */
const RETRY_START_MS = 2_000;
const READY_LINE = /^listening on /m;

export interface RendererChildOptions {
  readonly helmBinary: string;
  readonly kustomizeBinary: string;
  /** How long a render may take (the renderer enforces its own limit; this is the controller's). */
  readonly replyTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Folder the workspace is created in (default: the system temp folder). */
  readonly parentDir?: string;
}

export interface RendererChild {
  /** Where the controller must extract trees so the renderer can read them. */
  readonly treesDir: string;
  readonly backend: RenderBackend;
  /** The running renderer's pid, if one runs. */
  pid(): number | undefined;
  /** The uid the renderer runs as (undefined: the controller's own, as a non-root user). */
  readonly uid: number | undefined;
  stop(): Promise<void>;
}

interface Running {
  readonly child: ChildProcess;
  readonly ready: Promise<string>;
  started: boolean;
  /** "was killed by SIGKILL", "ended with exit code 1". */
  exit?: string;
  exitedAt?: number;
}

/** The CLI entry next to this module: src/cli/main.ts under tsx, dist/cli/main.js when built. */
function cliEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return path.resolve(path.dirname(self), "../../../cli", `main${path.extname(self)}`);
}

/**
 * The loaders this process runs with (tsx in development), made absolute: the child starts in its
 * own folder, where a bare `--import tsx` would not resolve.
 */
export function loaderArgs(execArgv: readonly string[], cwd: string): string[] {
  const require = createRequire(path.join(cwd, "noop.js"));
  const absolute = (flag: string, value: string) => {
    if (value.startsWith("file:") || path.isAbsolute(value)) return value;
    if (value.startsWith(".")) return path.resolve(cwd, value);
    return flag === "--import" ? import.meta.resolve(value) : require.resolve(value);
  };
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? "";
    const joined = /^(--import|--require|--loader|--experimental-loader)=(.*)$/.exec(arg);
    if (joined?.[1] && joined[2] !== undefined) out.push(`${joined[1]}=${absolute(joined[1], joined[2])}`);
    else if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(arg) && execArgv[i + 1]) {
      out.push(arg, absolute(arg, execArgv[i + 1] ?? ""));
      i++;
    }
  }
  return out;
}

export async function createRendererChild(options: RendererChildOptions): Promise<RendererChild> {
  const { log } = options;
  const { root, dirs } = await createWorkspace(options.parentDir ?? os.tmpdir(), log);
  const entry = cliEntry();
  const loaders = loaderArgs(process.execArgv, process.cwd());
  const loaderFiles = loaders
    .filter((a) => !a.startsWith("-"))
    .map((a) => (a.startsWith("file:") ? fileURLToPath(a) : a));
  let uid: number | undefined;
  let helm = options.helmBinary;
  let kustomize = options.kustomizeBinary;
  if (process.getuid?.() === 0) {
    const unreachable = [];
    for (const file of [process.execPath, entry, ...loaderFiles])
      if (!(await reachableByOthers(file))) unreachable.push(file);
    if (unreachable.length === 0) {
      uid = RENDERER_UID;
      // The workspace: traversable, not listable; the trees readable (they are r-x/r--).
      await fs.chmod(root, 0o711);
      await fs.chmod(dirs.trees, 0o755);
      await fs.chmod(dirs.bin, 0o755);
      for (const own of [dirs.run, dirs.tmp]) await fs.chown(own, RENDERER_UID, RENDERER_UID);
      helm = await exposeBinary(options.helmBinary, path.join(dirs.bin, "helm"));
      kustomize = await exposeBinary(options.kustomizeBinary, path.join(dirs.bin, "kustomize"));
    } else {
      log(
        `renderer: runs as root, not as uid ${RENDERER_UID}: ${unreachable.join(", ")} cannot be read by other users (move Tether or Node out of a private folder such as /root)`,
      );
    }
  }
  const socketPath = path.join(dirs.run, "renderer.sock");
  const args = [
    ...loaders,
    entry,
    "renderer",
    "--socket",
    socketPath,
    "--helm",
    helm,
    "--kustomize",
    kustomize,
    "--exit-with-parent",
  ];
  // The whole environment, spelled out: nothing of the controller's is inherited.
  const env = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: dirs.tmp,
    TMPDIR: dirs.tmp,
    LANG: "C.UTF-8",
  };

  let current: Running | undefined;
  let stopped = false;

  function start(): Running {
    const child = spawn(process.execPath, args, {
      cwd: dirs.tmp,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      ...(uid === undefined ? {} : { uid, gid: uid }),
    });
    let stderr = "";
    let stdout = "";
    const running: Running = {
      child,
      started: false,
      ready: new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(
            new RenderError(
              "RendererUnavailable",
              `the renderer process did not start within ${START_TIMEOUT_MS} ms`,
            ),
          );
        }, START_TIMEOUT_MS);
        child.stdout?.setEncoding("utf8");
        child.stdout?.on("data", (chunk: string) => {
          stdout += chunk;
          if (READY_LINE.test(stdout)) {
            clearTimeout(timer);
            running.started = true;
            resolve(socketPath);
          }
        });
        child.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
          clearTimeout(timer);
          const how =
            running.exit ?? (signal ? `was killed by ${signal}` : `ended with exit code ${String(code)}`);
          const tail = stderr.trim().split("\n").slice(-3).join("; ");
          reject(
            new RenderError(
              "RendererUnavailable",
              `the renderer process could not start (it ${how})${tail ? `: ${tail}` : ""}`,
            ),
          );
        });
      }),
    };
    running.ready.catch(() => undefined); // observed by the renders that wait on it
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8192);
      // Its lines carry their own timestamp; the controller's log adds one.
      for (const line of chunk.split("\n"))
        if (line.trim()) log(`renderer: ${line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, "")}`);
    });
    child.stdin?.on("error", () => undefined); // EPIPE once it has gone
    // A spawn that fails (no such binary, a folder it may not enter) has no 'exit' event.
    child.once("error", (error) => {
      log(`renderer: cannot start ${process.execPath}: ${error.message}`);
      if (running.exit !== undefined) return;
      running.exit = `could not be started (${error.message})`;
      running.exitedAt = Date.now();
      child.emit("exit", null, null);
    });
    child.once("exit", (code, signal) => {
      running.exit ??= signal ? `was killed by ${signal}` : `ended with exit code ${String(code)}`;
      running.exitedAt = Date.now();
      if (!stopped)
        log(`renderer process ${child.pid ?? "?"} ${running.exit}; a new one starts at the next render`);
    });
    return running;
  }

  async function socket(): Promise<string> {
    if (stopped) throw new RenderError("RendererUnavailable", "the controller is stopping");
    // A renderer that died after starting is replaced at once; one that could not start, not in a loop.
    const failedStartRecently =
      current?.started === false &&
      current.exitedAt !== undefined &&
      Date.now() - current.exitedAt < RETRY_START_MS;
    if (!current || (current.exit !== undefined && !failedStartRecently)) current = start();
    return current.ready;
  }

  const remote = remoteRenderBackend({
    socket,
    replyTimeoutMs: options.replyTimeoutMs,
    explain: () => (current?.exit ? `the renderer process ${current.exit}` : undefined),
  });
  /** Resolves once `running` has exited (true), or false if it still runs after `ms`. */
  const exitedWithin = (running: Running, ms: number) =>
    running.exit !== undefined
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          running.child.once("exit", () => {
            clearTimeout(timer);
            resolve(true);
          });
        });

  return {
    treesDir: dirs.trees,
    uid,
    // A renderer that died a moment ago may not have been reaped yet, so its socket refuses the
    // connection: once its exit is seen, the render goes to a new one (it never reached the old).
    async backend(input, stats) {
      const running = current;
      try {
        return await remote(input, stats);
      } catch (error) {
        if (!running || !neverReached(error) || !(await exitedWithin(running, 2_000))) throw error;
        return remote(input, stats);
      }
    },
    pid: () => (current && current.exit === undefined ? current.child.pid : undefined),
    async stop() {
      stopped = true;
      const running = current;
      if (running && running.exit === undefined) {
        const exited = new Promise((resolve) => running.child.once("exit", resolve));
        running.child.stdin?.end(); // --exit-with-parent: it stops when its stdin closes
        const kill = setTimeout(() => running.child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(kill);
      }
      await removeWorkspace(root).catch((error: unknown) => log(`removing ${root}: ${String(error)}`));
    },
  };
}
