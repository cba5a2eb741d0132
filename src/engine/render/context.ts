// Per-render state shared by the renderers: the confined root, the limits and the budget spent
// so far (time, bytes, documents), and the counters the renderer exposes.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { RenderError } from "../errors.js";
import type { ErrorReason } from "../errors.js";
import { runTool } from "./run-tool.js";
import type { RenderLimits, RenderStats } from "./types.js";

export class RenderContext {
  private outputBytes = 0;
  private documents = 0;
  private readonly deadline: number;
  private readonly tempDirs: string[] = [];

  constructor(
    /** realpath of the repository root. */
    readonly realRoot: string,
    readonly limits: RenderLimits,
    private readonly stats: RenderStats,
  ) {
    this.deadline = performance.now() + limits.timeoutMs;
  }

  checkDeadline(doing: string): void {
    if (performance.now() > this.deadline) {
      throw new RenderError(
        "RenderTimeout",
        `render time limit (${this.limits.timeoutMs} ms) reached while ${doing}`,
      );
    }
  }

  /** Counts bytes against maxOutputBytes (files read and tool output alike). */
  addOutputBytes(bytes: number, where: string): void {
    this.outputBytes += bytes;
    if (this.outputBytes > this.limits.maxOutputBytes) {
      throw new RenderError(
        "LimitExceeded",
        `${where}: manifests exceed the output limit of ${this.limits.maxOutputBytes} bytes`,
      );
    }
  }

  addDocuments(count: number, where: string): void {
    this.documents += count;
    if (this.documents > this.limits.maxDocuments) {
      throw new RenderError(
        "LimitExceeded",
        `${where}: more than ${this.limits.maxDocuments} documents (the document limit)`,
      );
    }
  }

  /** Reads a file already proven to be inside the repository, under the per-file size limit. */
  async readRepositoryFile(absolute: string, shown: string): Promise<string> {
    this.checkDeadline(`reading ${shown}`);
    const { size } = await fs.stat(absolute);
    if (size > this.limits.maxFileBytes) {
      throw new RenderError(
        "LimitExceeded",
        `${shown} is ${size} bytes, over the per-file limit of ${this.limits.maxFileBytes} bytes`,
      );
    }
    this.addOutputBytes(size, shown);
    this.stats.filesRead++;
    return fs.readFile(absolute, "utf8");
  }

  /** A private temp folder removed by dispose(); tools get their HOME and value files here. */
  async tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-render-"));
    this.tempDirs.push(dir);
    return dir;
  }

  async runTool(
    binary: string,
    args: string[],
    opts: { cwd: string; env: Record<string, string>; label: string; failureReason: ErrorReason },
  ): Promise<string> {
    this.stats.toolInvocations++;
    const output = await runTool({
      binary,
      args,
      ...opts,
      deadline: this.deadline,
      maxOutputBytes: this.limits.maxOutputBytes - this.outputBytes,
    });
    this.addOutputBytes(Buffer.byteLength(output), opts.label);
    return output;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  }
}
