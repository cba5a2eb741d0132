// The Git side of `tether bootstrap`: Tether's own installation written into the repository it
// manages, so that an upgrade or a setting is a commit like any other change:
//   <path>/tether/chart/…       the Helm chart of this Tether version (Tether's: replaced by each
//                               bootstrap, so running a newer `tether bootstrap` is the upgrade)
//   <path>/tether/values.yaml   the cluster's settings for it (yours: written once, never replaced)
//   <path>/tether.yaml          Application `tether`, which syncs the chart with those values
// Everything goes through the real git CLI with the user's own configuration and credentials (the
// controller's git runs with none: engine/source/gitcli.ts), never prompting.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { redactUrl } from "../engine/source/gitcli.js";
import type { Application } from "../model/application.js";
import { API_VERSION } from "../model/application.js";

export interface InstallInGit {
  readonly repo: string;
  /** The cluster's folder, e.g. clusters/production. */
  readonly path: string;
  readonly revision: string;
  readonly systemNamespace: string;
  /** The chart to commit (charts/tether of this checkout or image). */
  readonly chartDir: string;
  /** Initial values.yaml content, used only when the repository has none yet. */
  readonly initialValues: string;
}

export interface InstallCommit {
  /** The commit pushed, or undefined when the repository already held exactly this. */
  readonly commit: string | undefined;
  /** values.yaml as the repository holds it (after this run). */
  readonly values: string;
  /** The checkout, for rendering exactly what was committed; call `remove` when done. */
  readonly dir: string;
  remove(): Promise<void>;
}

const run = promisify(execFile);

/** git as the user runs it; errors name the command (URLs without credentials) and git's reason. */
async function git(args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await run("git", [...args], {
      cwd: options.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const raw = (error as { stderr?: unknown }).stderr;
    const stderr = redactUrl(typeof raw === "string" ? raw : "").trim();
    throw new Error(
      `git ${redactUrl(
        args
          .filter((a) => a !== "--quiet")
          .slice(0, 3)
          .join(" "),
      )} failed: ${stderr.split("\n").slice(-3).join(" ") || String(error)}`,
    );
  }
}

export const CHART_FOLDER = "tether/chart";
export const VALUES_FILE = "tether/values.yaml";
export const APP_FILE = "tether.yaml";

/** Application `tether`: the chart in Git with the cluster's values, synced by Tether itself. */
export function installApplication(options: Omit<InstallInGit, "chartDir" | "initialValues">): Application {
  return {
    apiVersion: API_VERSION,
    kind: "Application",
    metadata: {
      name: "tether",
      namespace: options.systemNamespace,
      labels: { "app.kubernetes.io/part-of": "tether" },
    },
    spec: {
      project: "default",
      source: {
        repoURL: options.repo,
        targetRevision: options.revision,
        path: `${options.path}/${CHART_FOLDER}`,
        helm: { releaseName: "tether", valueFiles: ["../values.yaml"] },
      },
      destination: { server: "https://kubernetes.default.svc", namespace: options.systemNamespace },
      // Self-heal keeps the installation as Git says; prune removes what a newer chart dropped
      // (a render error or an empty render never prunes).
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}

async function copyTree(from: string, to: string): Promise<void> {
  await fs.rm(to, { recursive: true, force: true });
  await fs.cp(from, to, { recursive: true, dereference: true });
}

/** Whether the remote has `branch` yet (a new repository has no branch at all). */
async function hasBranch(dir: string, branch: string): Promise<boolean> {
  const out = await git(["ls-remote", "--heads", "origin", `refs/heads/${branch}`], { cwd: dir });
  return out.trim() !== "";
}

/** Clones, writes the installation, commits and pushes when something changed. */
export async function commitInstall(options: InstallInGit): Promise<InstallCommit> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-bootstrap-"));
  const remove = () => fs.rm(dir, { recursive: true, force: true });
  try {
    await git(["clone", "--quiet", "--", options.repo, dir]);
    if (await hasBranch(dir, options.revision)) {
      await git(["checkout", "--quiet", "-B", options.revision, `origin/${options.revision}`], { cwd: dir });
    } else {
      await git(["checkout", "--quiet", "--orphan", options.revision], { cwd: dir });
    }
    const folder = path.join(dir, options.path);
    await copyTree(options.chartDir, path.join(folder, CHART_FOLDER));
    const valuesFile = path.join(folder, VALUES_FILE);
    const existing = await fs.readFile(valuesFile, "utf8").catch(() => undefined);
    if (existing === undefined) await fs.writeFile(valuesFile, options.initialValues);
    const app = installApplication(options);
    await fs.writeFile(
      path.join(folder, APP_FILE),
      `# Written by tether bootstrap: Tether installs and upgrades itself from ${options.path}/tether.\n${stringify(app)}`,
    );

    await git(["add", "--all", "--", options.path], { cwd: dir });
    const changed = (await git(["status", "--porcelain", "--", options.path], { cwd: dir })).trim() !== "";
    let commit: string | undefined;
    if (changed) {
      // The user's identity when git has one; a plain one otherwise (a fresh CI machine).
      const named = await git(["config", "user.email"], { cwd: dir }).then(
        (v) => v.trim() !== "",
        () => false,
      );
      const identity = named
        ? []
        : ["-c", "user.name=tether bootstrap", "-c", "user.email=bootstrap@tether.dev"];
      await git(
        [
          ...identity,
          "commit",
          "--quiet",
          "-m",
          `tether bootstrap: install Tether from ${options.path}/tether`,
        ],
        { cwd: dir },
      );
      await git(["push", "--quiet", "origin", `HEAD:refs/heads/${options.revision}`], { cwd: dir });
      commit = (await git(["rev-parse", "HEAD"], { cwd: dir })).trim();
    }
    return { commit, values: await fs.readFile(valuesFile, "utf8"), dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
