// Every git invocation in Tether goes through here: a clean environment (no user or system config,
// no hooks, no prompts), a timeout, and errors that never echo credentials.
import { execFile } from "node:child_process";

export class GitCommandError extends Error {
  override readonly name = "GitCommandError";
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export interface GitRunOptions {
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Extra environment (e.g. GIT_ASKPASS, author identity); merged over the clean base. */
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string | Buffer;
  /** Binary output (e.g. `git archive`); stdout is returned as a Buffer. */
  readonly maxBuffer?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** URLs with user:password@ lose the secret part before they appear in any message. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, "$1***@");
}

/** The environment every git call starts from: only what git needs, nothing from the user's setup. */
export function cleanGitEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: "/nonexistent",
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    SSH_ASKPASS: "/bin/false",
    GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
    // Hooks never run: a repository is untrusted input.
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: "core.hooksPath",
    GIT_CONFIG_VALUE_0: "/dev/null",
    GIT_CONFIG_KEY_1: "protocol.ext.allow",
    GIT_CONFIG_VALUE_1: "never",
    ...extra,
  };
}

function run(args: readonly string[], options: GitRunOptions, encoding: "utf8" | "buffer") {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<{ stdout: string | Buffer; stderr: string }>((resolve, reject) => {
    const child = execFile(
      "git",
      [...args],
      {
        cwd: options.cwd,
        env: cleanGitEnv(options.env),
        timeout,
        killSignal: "SIGKILL",
        maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024,
        encoding,
      },
      (error, stdout, stderr) => {
        const errText = redactUrl(String(stderr));
        if (!error) return resolve({ stdout, stderr: errText });
        const timedOut = (error as { killed?: boolean }).killed === true && error.signal === "SIGKILL";
        const what = `git ${redactUrl(args.slice(0, 3).join(" "))}`;
        const detail = timedOut
          ? `timed out after ${timeout} ms`
          : errText.trim().split("\n").slice(-5).join("\n");
        const code = typeof error.code === "number" ? error.code : null;
        reject(new GitCommandError(`${what} failed: ${detail || `exit ${code}`}`, errText, code, timedOut));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs git and returns its stdout as text (trailing newline kept). */
export async function git(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
  return (await run(args, options, "utf8")).stdout as string;
}

/** Runs git and returns its stdout as bytes. */
export async function gitBuffer(args: readonly string[], options: GitRunOptions = {}): Promise<Buffer> {
  return (await run(args, options, "buffer")).stdout as Buffer;
}
