// A working copy of a repository on the local Git server, for tests and the demo app: write files,
// commit with a chosen author, push, revert, tag — through the real git CLI.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { git } from "../engine/source/gitcli.js";

export interface Author {
  readonly name: string;
  readonly email: string;
}

export const DEFAULT_AUTHOR: Author = { name: "Tether Demo", email: "demo@tether.dev" };

export interface WorkspaceOptions {
  readonly author?: Author;
  /** Basic-auth credentials for the server, sent as a header (never written into the URL). */
  readonly auth?: { readonly username: string; readonly password: string };
}

export class GitWorkspace {
  private constructor(
    readonly dir: string,
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Clones `url` (an empty repository is fine) into a new temp folder, on branch `main`. */
  static async clone(url: string, options: WorkspaceOptions = {}): Promise<GitWorkspace> {
    const author = options.author ?? DEFAULT_AUTHOR;
    const env: Record<string, string> = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    if (options.auth) {
      const token = Buffer.from(`${options.auth.username}:${options.auth.password}`).toString("base64");
      Object.assign(env, {
        GIT_CONFIG_COUNT: "3",
        GIT_CONFIG_KEY_2: "http.extraHeader",
        GIT_CONFIG_VALUE_2: `Authorization: Basic ${token}`,
      });
    }
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-ws-"));
    await git(["clone", "--quiet", url, dir], { env });
    await git(["checkout", "--quiet", "-B", "main"], { cwd: dir, env });
    return new GitWorkspace(dir, url, env);
  }

  private run(args: string[], env: Record<string, string> = {}): Promise<string> {
    return git(args, { cwd: this.dir, env: { ...this.env, ...env } });
  }

  /** Writes (or, with `null`, deletes) files relative to the repository root. */
  async write(files: Readonly<Record<string, string | null>>): Promise<void> {
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(this.dir, name);
      if (content === null) await fs.rm(file, { recursive: true, force: true });
      else {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, content);
      }
    }
  }

  /** Stages everything and commits; returns the new commit SHA. */
  async commit(message: string, author?: Author): Promise<string> {
    await this.run(["add", "--all"]);
    const who: Record<string, string> = author
      ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email }
      : {};
    await this.run(["commit", "--quiet", "--allow-empty", "-m", message], who);
    return this.head();
  }

  /** write + commit + push in one step; returns the commit SHA. */
  async commitAndPush(files: Readonly<Record<string, string | null>>, message: string, branch = "main") {
    await this.write(files);
    const sha = await this.commit(message);
    await this.push(branch);
    return sha;
  }

  async push(branch = "main", options: { force?: boolean } = {}): Promise<void> {
    const refspec = `${options.force ? "+" : ""}HEAD:refs/heads/${branch}`;
    await this.run(["push", "--quiet", "origin", refspec]);
  }

  /** `git revert --no-edit <ref>`; returns the revert commit's SHA (not pushed). */
  async revert(ref = "HEAD"): Promise<string> {
    await this.run(["revert", "--no-edit", ref]);
    return this.head();
  }

  async tag(name: string, ref = "HEAD"): Promise<void> {
    await this.run(["tag", name, ref]);
    await this.run(["push", "--quiet", "origin", `refs/tags/${name}`]);
  }

  /** Moves the branch to `ref` locally (e.g. for a force-push to an older commit). */
  async resetHard(ref: string): Promise<void> {
    await this.run(["reset", "--quiet", "--hard", ref]);
  }

  async head(): Promise<string> {
    return (await this.run(["rev-parse", "HEAD"])).trim();
  }

  async remove(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
