// Path confinement. Every path a user controls (the app path, value files, kustomize resources)
// is checked twice: lexically (no absolute paths, no `..` above the root) so the message can
// name the field, and after realpath (symlinks) so a link cannot smuggle the path out. Links the
// tools follow on their own (anywhere in the tree) are refused by the whole-tree check in
// tree-links.ts, which runs before every render.
import fs from "node:fs/promises";
import path from "node:path";
import { RenderError } from "../errors.js";

/** True when `child` is `parent` or below it; both must be absolute and normalized. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Lexical check of a repository-relative path (pure). `base` is the folder the path is relative
 * to, itself relative to the repository root. Returns the normalized repository-relative path.
 */
export function confineRelativePath(field: string, value: string, base = ""): string {
  if (value.includes("\0")) {
    throw new RenderError("PathOutsideRepository", `${field} ${JSON.stringify(value)} contains a NUL byte`);
  }
  if (path.posix.isAbsolute(value) || path.win32.isAbsolute(value)) {
    throw new RenderError(
      "PathOutsideRepository",
      `${field} ${JSON.stringify(value)} is absolute; paths are relative to the repository`,
    );
  }
  const joined = path.posix.normalize(path.posix.join(base === "" ? "." : base, value));
  if (joined === ".." || joined.startsWith("../")) {
    throw new RenderError("PathOutsideRepository", `${field} ${JSON.stringify(value)} leaves the repository`);
  }
  return joined === "." ? "" : joined.replace(/\/$/, "");
}

/**
 * Resolves a repository-relative path on disk, following symlinks, and proves it stays inside
 * the (already realpath'd) repository root. Missing → PathNotFound.
 */
export async function resolveInRepository(
  realRoot: string,
  relative: string,
  field: string,
  shownValue = relative,
): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(path.join(realRoot, relative));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new RenderError(
        "PathNotFound",
        `${field} ${JSON.stringify(shownValue)} does not exist in the repository`,
      );
    }
    throw error;
  }
  if (!isInside(realRoot, real)) {
    throw new RenderError(
      "PathOutsideRepository",
      `${field} ${JSON.stringify(shownValue)} leaves the repository through a symlink`,
    );
  }
  return real;
}

/** Repository-relative POSIX path of an absolute path inside the root (for messages and output). */
export function repoRelative(realRoot: string, absolute: string): string {
  return path.relative(realRoot, absolute).split(path.sep).join("/");
}
