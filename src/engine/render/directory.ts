// Directory mode: every .yaml/.yml/.json file of the app folder (optionally recursive, filtered
// by include/exclude globs), parsed into objects with file and line.
import fs from "node:fs/promises";
import path from "node:path";
import { minimatch } from "minimatch";
import type { DirectorySource } from "../../model/application.js";
import { RenderError } from "../errors.js";
import { parseManifests } from "./manifests.js";
import type { ParsedManifest } from "./manifests.js";
import { decryptSopsFile, decryptedManifests, hasSopsMetadata } from "./sops/decrypt.js";
import type { SopsKeys } from "./sops/keys.js";
import { sortDirectoryOutput } from "./order.js";
import { isInside, repoRelative } from "./paths.js";
import type { RenderContext } from "./context.js";
import type { RenderedObject } from "./types.js";

const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;

/**
 * Include/exclude filter (pure). Patterns are matched against the path relative to the app
 * folder; a pattern without "/" also matches the file's base name (so `*.yaml` works at any
 * depth), and `{a.yaml,b.yaml}` brace lists work as in Argo CD.
 */
export function directoryFilter(directory: DirectorySource | undefined): (relativePath: string) => boolean {
  const options = { dot: true, matchBase: true, nocomment: true, nonegate: true };
  const include = directory?.include?.trim();
  const exclude = directory?.exclude?.trim();
  return (relativePath) => {
    if (!MANIFEST_EXTENSION.test(relativePath)) return false;
    if (include && !minimatch(relativePath, include, options)) return false;
    if (exclude && minimatch(relativePath, exclude, options)) return false;
    return true;
  };
}

/** Lists the manifest files to read, as absolute paths, sorted by repository-relative path. */
async function listManifestFiles(ctx: RenderContext, appDir: string, source: DirectorySource | undefined) {
  const recurse = source?.recurse ?? false;
  const wanted = directoryFilter(source);
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    ctx.checkDeadline("reading the directory");
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const relToApp = path.relative(appDir, full).split(path.sep).join("/");
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(full).catch(() => undefined);
        if (target === undefined) continue; // dangling link: nothing to read
        const stat = await fs.stat(target);
        if (stat.isDirectory()) {
          // Linked folders are never followed (no cycles, no double renders); one that leaves the
          // repository is refused outright rather than silently skipped.
          if (recurse && !isInside(ctx.realRoot, target)) {
            throw new RenderError(
              "PathOutsideRepository",
              `${repoRelative(ctx.realRoot, full)} is a symlinked directory that leaves the repository`,
            );
          }
          continue;
        }
        if (!wanted(relToApp)) continue;
        if (!isInside(ctx.realRoot, target)) {
          throw new RenderError(
            "PathOutsideRepository",
            `${repoRelative(ctx.realRoot, full)} is a symlink to a file outside the repository`,
          );
        }
        files.push(full);
      } else if (entry.isDirectory()) {
        if (recurse && entry.name !== ".git") await walk(full);
      } else if (entry.isFile() && wanted(relToApp)) {
        files.push(full);
      }
    }
  };
  await walk(appDir);
  return files;
}

/**
 * One file's objects. A SOPS-encrypted file is decrypted here, in memory, right after it is read:
 * its plaintext never touches the disk. A file that carries a sops block but could not be read
 * as one is refused, so ciphertext is never applied as if it were the value.
 */
async function fileManifests(
  ctx: RenderContext,
  text: string,
  sourceFile: string,
  keys: SopsKeys | undefined,
): Promise<(ParsedManifest & { decrypted?: boolean })[]> {
  // The SOPS reader bounds depth and duplicate keys itself (composeBounded), in one parse.
  const decrypted = await decryptSopsFile(text, sourceFile, keys, ctx.limits);
  if (decrypted) return decryptedManifests(decrypted, sourceFile);
  const parsed = parseManifests(text, sourceFile, ctx.limits);
  const sealed = parsed.find((p) => hasSopsMetadata(p.object));
  if (sealed) {
    throw new RenderError(
      "DecryptionFailed",
      `${sourceFile}:${sealed.line}: cannot decrypt SOPS file: it has a sops block but is not a file sops wrote`,
    );
  }
  return parsed;
}

export async function renderDirectory(
  ctx: RenderContext,
  appDir: string,
  source: DirectorySource | undefined,
  keys?: SopsKeys,
): Promise<RenderedObject[]> {
  const files = await listManifestFiles(ctx, appDir, source);
  const objects: RenderedObject[] = [];
  for (const file of files) {
    const sourceFile = repoRelative(ctx.realRoot, file);
    const text = await ctx.readRepositoryFile(file, sourceFile);
    const parsed = await fileManifests(ctx, text, sourceFile, keys);
    ctx.addDocuments(parsed.length, sourceFile);
    for (const { object, line, decrypted } of parsed) {
      objects.push({ object, sourceFile, line, ...(decrypted ? { decrypted } : {}) });
    }
  }
  return sortDirectoryOutput(objects);
}
