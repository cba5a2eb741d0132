// A child process of the local control plane: its own process group (so Ctrl-C reaches only
// Tether, which then stops components in order), output appended to a log file, and a pid file
// so a later run can find and stop it if this Node process is killed without cleaning up.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import { openSync, closeSync } from "node:fs";
import path from "node:path";

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartOptions {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** Folder holding one `<name>.json` pid record per running component. */
  readonly pidDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface PidRecord {
  readonly name: string;
  readonly pid: number;
  readonly binary: string;
}

export async function readLastLines(file: string, count: number): Promise<string> {
  try {
    const text = await fs.readFile(file, "utf8");
    return text.trimEnd().split("\n").slice(-count).join("\n");
  } catch {
    return "(no log output)";
  }
}

export class ManagedProcess {
  private exitInfo: ExitInfo | undefined;

  private constructor(
    readonly name: string,
    readonly pid: number,
    readonly logFile: string,
    private readonly pidFile: string,
    /** Resolves when the process has exited, for whatever reason. */
    readonly exited: Promise<ExitInfo>,
    private readonly handle: { ref(): void },
  ) {
    void exited.then((info) => (this.exitInfo = info));
  }

  static async start(options: StartOptions): Promise<ManagedProcess> {
    await fs.mkdir(path.dirname(options.logFile), { recursive: true });
    await fs.mkdir(options.pidDir, { recursive: true });
    const fd = openSync(options.logFile, "a");
    let child;
    try {
      child = spawn(options.binary, [...options.args], {
        detached: true,
        stdio: ["ignore", fd, fd],
        env: options.env ?? process.env,
        cwd: options.cwd,
      });
    } finally {
      closeSync(fd);
    }
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", () => resolve({ code: -1, signal: null }));
    });
    const pid = child.pid;
    if (pid === undefined) {
      await exited;
      throw new Error(`${options.name}: could not start ${options.binary}`);
    }
    // Detached children would keep our event loop alive; the pid file and stop() track them instead.
    child.unref();
    const pidFile = path.join(options.pidDir, `${options.name}.json`);
    const record: PidRecord = { name: options.name, pid, binary: options.binary };
    await fs.writeFile(pidFile, JSON.stringify(record));
    return new ManagedProcess(options.name, pid, options.logFile, pidFile, exited, child);
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  lastLogLines(count = 20): Promise<string> {
    return readLastLines(this.logFile, count);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    if (this.running) {
      // While we wait for it, the child must keep the event loop alive: unref'd, its exit event
      // could be the only thing left pending, and Node would quit with the stop half done.
      this.handle.ref();
      signalGroup(this.pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(this.pid, "SIGKILL"), graceMs);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    await fs.rm(this.pidFile, { force: true });
    return this.exitInfo ?? (await this.exited);
  }
}

/** Signals a whole process group (our children are group leaders); ignores "already gone". */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
}
