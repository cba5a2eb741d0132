// `tether controller` as a real child process, for tests that need what only a process gives:
// its own credentials (a ServiceAccount's kubeconfig) or a hard kill mid-work.
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { repoRoot } from "../../src/toolchain/components.js";

export interface ControllerProcess {
  readonly stderr: () => string;
  /** Resolves to an Error (with the log) once the process exits: `waitFor`'s abort, so waits fail early. */
  readonly died: Promise<Error>;
  running(): boolean;
  /** SIGTERM and the exit code (idempotent). */
  stop(): Promise<number | null>;
  /** Sends a signal as is (SIGSTOP/SIGCONT: a replica frozen, as by a partition or a long GC pause). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL: no clean-up, no last status write — what a crashed or evicted controller leaves. */
  kill(): Promise<void>;
}

/** `env`: the whole environment (default: this process's). */
export function runController(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): ControllerProcess {
  const argv = ["--import", "tsx", "src/cli/main.ts", "controller", ...args];
  const child: ChildProcess = spawn(process.execPath, argv, {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "pipe"],
    env: options.env ?? process.env,
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let stopping = false;
  return {
    stderr: () => log,
    died: exited.then((code) => new Error(stopping ? "stopped" : `the controller exited (${code}):\n${log}`)),
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    signal(signal) {
      child.kill(signal);
    },
    async kill() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
