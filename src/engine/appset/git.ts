// The Git generators' parameters from a listing of one commit: directories matched by globs (with
// exclusions), and JSON/YAML files matched by globs whose keys become parameters. Pure: the caller
// lists the tree and reads the files.
import { minimatch } from "minimatch";
import type { GitGenerator } from "../../model/applicationset.js";
import { parseYamlBounded } from "../yaml-input.js";
import { ApplicationSetError } from "./errors.js";
import type { Params } from "./params.js";
import { flattenParams, pathParams } from "./params.js";

// Argo CD matches directories with Go's path.Match: `*` never crosses a `/`, `**` is two stars.
const DIRECTORY_GLOB = { dot: true, noglobstar: true, nobrace: true, noext: true } as const;
// File paths accept `**` (any number of folders).
const FILE_GLOB = { dot: true, nobrace: true, noext: true } as const;

/** One parameter set per directory matching an include glob and no exclude glob, in path order. */
export function gitDirectoryParams(directories: readonly string[], generator: GitGenerator): Params[] {
  const items = generator.directories ?? [];
  const includes = items.filter((d) => !d.exclude).map((d) => d.path);
  const excludes = items.filter((d) => d.exclude).map((d) => d.path);
  return [...directories]
    .sort()
    .filter((dir) => includes.some((glob) => minimatch(dir, glob, DIRECTORY_GLOB)))
    .filter((dir) => !excludes.some((glob) => minimatch(dir, glob, DIRECTORY_GLOB)))
    .map((dir) => pathParams(dir, generator.pathParamPrefix));
}

/** Files matching any of the generator's globs, in path order. */
export function matchGitFiles(files: readonly string[], generator: GitGenerator): string[] {
  const globs = (generator.files ?? []).map((f) => f.path);
  return [...files].sort().filter((file) => globs.some((glob) => minimatch(file, glob, FILE_GLOB)));
}

/**
 * One parameter set per file (or per element, when the file holds a list): its keys flattened with
 * dots, plus the path parameters of the folder holding it.
 */
export function gitFileParams(
  files: readonly { path: string; content: string }[],
  generator: GitGenerator,
  where: string,
): Params[] {
  const out: Params[] = [];
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = parseYamlBounded(file.content, { maxAliasCount: 100 });
    } catch (error) {
      throw new ApplicationSetError(
        "GeneratorError",
        where,
        `${file.path}: not valid JSON or YAML: ${(error as Error).message}`,
      );
    }
    const entries = Array.isArray(parsed) ? parsed : [parsed];
    const dir = file.path.includes("/") ? file.path.slice(0, file.path.lastIndexOf("/")) : "";
    for (const entry of entries) {
      if (entry === null || typeof entry !== "object" || Array.isArray(entry))
        throw new ApplicationSetError(
          "GeneratorError",
          where,
          `${file.path}: must hold an object (or a list of objects)`,
        );
      out.push({ ...flattenParams(entry), ...pathParams(dir, generator.pathParamPrefix, file.path) });
    }
  }
  return out;
}
