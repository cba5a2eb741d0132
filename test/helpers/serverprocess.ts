// `tether server` as a real child process, run as its Pod runs it: flags only, logs on stderr. The
// bound URL is read from its "listening on URL" line (so --port 0 works).
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { repoRoot } from "../../src/toolchain/components.js";

export interface ServerProcess {
  readonly url: string;
  readonly stderr: () => string;
  /** The exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM and the exit code (idempotent). */
  stop(): Promise<number | null>;
}

function spawnServer(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "server", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** Starts the server; resolves once it listens, rejects with its log if it exits first or is slow. */
export async function startServerProcess(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = spawnServer(args);
  let log = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    return exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`tether server did not listen within ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    child.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString("utf8");
      const match = /listening on (\S+)/.exec(log);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tether server exited (${code}) before listening:\n${log}`));
    });
  });
  return { url, stderr: () => log, exited, stop };
}

/** Runs `tether server ARGS` that is expected to end by itself (a usage error): its code and stderr. */
export async function runServerToExit(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawnServer(args);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  // A command that serves instead of exiting would hang the test: killed after a minute (code null).
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr };
}
