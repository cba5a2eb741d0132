// The local environment that `tether local up`, `npm start` and the test harness share: a real
// control plane (or the user's cluster via TETHER_KUBECONFIG) plus a smart-HTTP Git server.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensureComponents } from "../toolchain/binaries.js";
import { CONTROL_PLANE } from "../toolchain/components.js";
import type { ControlPlane } from "./controlplane.js";
import { startControlPlane } from "./controlplane.js";
import type { GitServer } from "./gitserver.js";
import { startGitServer } from "./gitserver.js";

export interface LocalEnvironmentOptions {
  /** Instance id (`local` for the CLI, random for test runs). */
  readonly id?: string;
  /** Keep the cluster and Git repositories when this process ends; resume them next time (the CLI). */
  readonly keepData?: boolean;
  /** With keepData: start from an empty cluster, deleting the kept one. */
  readonly purge?: boolean;
  readonly cacheDir?: string;
  readonly apiserverPort?: number;
  readonly gitPort?: number;
  readonly nodeCount?: number;
  readonly log?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

export interface LocalEnvironment {
  readonly kubeconfigPath: string;
  /** Set when Tether started the control plane itself (absent with TETHER_KUBECONFIG). */
  readonly controlPlane?: ControlPlane;
  readonly git: GitServer;
  readonly gitRoot: string;
  stop(): Promise<void>;
}

export async function startLocalEnvironment(
  options: LocalEnvironmentOptions = {},
): Promise<LocalEnvironment> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const external = env["TETHER_KUBECONFIG"];
  let controlPlane: ControlPlane | undefined;
  let kubeconfigPath: string;
  if (external) {
    kubeconfigPath = path.resolve(external);
    await fs.access(kubeconfigPath).catch(() => {
      throw new Error(`TETHER_KUBECONFIG=${external}: file not found`);
    });
    log(`using the existing cluster in ${kubeconfigPath} (TETHER_KUBECONFIG)`);
  } else {
    const binaries = await ensureComponents(CONTROL_PLANE, { cacheDir: options.cacheDir, log });
    controlPlane = await startControlPlane({
      binaries,
      id: options.id,
      keepData: options.keepData,
      purge: options.purge,
      cacheDir: options.cacheDir,
      apiserverPort: options.apiserverPort,
      nodeCount: options.nodeCount,
      log,
    });
    kubeconfigPath = controlPlane.kubeconfigPath;
  }
  // Inside the instance folder: the repositories live and die with the cluster whose apps use them.
  const gitRoot = controlPlane
    ? path.join(controlPlane.dirs.root, "git")
    : await fs.mkdtemp(path.join(os.tmpdir(), "tether-git-"));
  await fs.mkdir(gitRoot, { recursive: true });
  let git: GitServer;
  try {
    git = await startGitServer({ root: gitRoot, port: options.gitPort ?? 0 });
  } catch (error) {
    await controlPlane?.stop();
    throw error;
  }
  log(`git server listening on ${git.url}`);
  const stop = async () => {
    await git.close();
    if (controlPlane) await controlPlane.stop();
    else await fs.rm(gitRoot, { recursive: true, force: true });
  };
  return { kubeconfigPath, controlPlane, git, gitRoot, stop };
}
