// Runs helm or kustomize under the render limits: a deadline (the whole process group is
// SIGKILLed, so a tool's own children die with it), a cap on stdout bytes, and a clean
// environment that carries nothing from the controller's own (no credentials, no user config).
import { spawn } from "node:child_process";
import { RenderError } from "../errors.js";
import type { ErrorReason } from "../errors.js";

export interface ToolRun {
  binary: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Absolute time (performance.now() based) after which the tool is killed. */
  deadline: number;
  maxOutputBytes: number;
  /** What to call the tool in messages, e.g. "helm template". */
  label: string;
  /** Reason used when the tool exits non-zero. */
  failureReason: ErrorReason;
}

/** Enough of stderr to explain a failure without holding a runaway tool's whole log. */
const STDERR_KEEP = 16 * 1024;

export async function runTool(run: ToolRun): Promise<string> {
  const remaining = Math.floor(run.deadline - performance.now());
  if (remaining <= 0)
    throw new RenderError("RenderTimeout", `${run.label} did not start: render time limit reached`);
  const child = spawn(run.binary, [...run.args], {
    cwd: run.cwd,
    env: run.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group, so the kill below reaches grandchildren (kustomize --enable-helm runs helm).
    detached: true,
  });
  const chunks: Buffer[] = [];
  let outputBytes = 0;
  let stderr = "";
  let stopped: RenderError | undefined;

  const kill = (why: RenderError) => {
    if (stopped) return;
    stopped = why;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL"); // the group is already gone; make sure the leader is too
    }
  };
  const timer = setTimeout(
    () => kill(new RenderError("RenderTimeout", `${run.label} was killed after the render time limit`)),
    remaining,
  );

  child.stdout.on("data", (chunk: Buffer) => {
    outputBytes += chunk.length;
    if (outputBytes > run.maxOutputBytes) {
      kill(
        new RenderError(
          "LimitExceeded",
          `${run.label} output exceeds the limit of ${run.maxOutputBytes} bytes`,
        ),
      );
      return;
    }
    if (!stopped) chunks.push(chunk);
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });

  // 'close' (not 'exit') waits for the pipes too, so nothing of the tool outlives this call.
  const exit = await new Promise<{ code: number | null; spawnError?: Error }>((resolve) => {
    child.once("error", (spawnError) => resolve({ code: null, spawnError }));
    child.once("close", (code) => resolve({ code }));
  }).finally(() => clearTimeout(timer));

  if (stopped) throw stopped;
  if (exit.spawnError) {
    throw new RenderError(run.failureReason, `${run.label} could not be started: ${exit.spawnError.message}`);
  }
  if (exit.code !== 0) {
    const detail = stderr.trim() || `exit code ${String(exit.code)}`;
    throw new RenderError(run.failureReason, `${run.label} failed: ${detail}`);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The environment tools run with: a private HOME/config/cache per render and a proxy that goes
 * nowhere, so any network access the caller did not ask for fails fast instead of leaking out.
 * Go's proxy logic never proxies loopback, and `noProxy` lists the hosts a render may reach.
 */
export function toolEnvironment(
  home: string,
  options: { noProxy?: string[]; path?: string; extra?: Record<string, string> },
): Record<string, string> {
  const blackhole = "http://127.0.0.1:9"; // discard port: connections are refused at once
  return {
    HOME: home,
    PATH: options.path ?? "",
    HELM_CACHE_HOME: `${home}/cache`,
    HELM_CONFIG_HOME: `${home}/config`,
    HELM_DATA_HOME: `${home}/data`,
    HELM_PLUGINS: `${home}/plugins`,
    HELM_REGISTRY_CONFIG: `${home}/config/registry.json`,
    HELM_REPOSITORY_CONFIG: `${home}/config/repositories.yaml`,
    HELM_REPOSITORY_CACHE: `${home}/cache/repository`,
    KUBECONFIG: `${home}/no-kubeconfig`,
    XDG_CONFIG_HOME: `${home}/config`,
    XDG_CACHE_HOME: `${home}/cache`,
    HTTP_PROXY: blackhole,
    HTTPS_PROXY: blackhole,
    NO_PROXY: (options.noProxy ?? []).join(","),
    ...options.extra,
  };
}
