// The repository tree is the boundary of everything a render reads: Tether's own reads, and those
// of helm and kustomize, which follow symlinks wherever they point (helm's `.Files.Get`, chart
// dependencies, kustomize bases and patches, value files). Checking only the folders a render names
// is not enough: a link in the rendered folder may point to a folder elsewhere in the repository
// that itself holds links out (`chart/ext -> ../other`, `other/kc -> /root/.kube/config`). So the
// whole tree is checked, once, before any render reads from it: every symlink is resolved to its
// final target — through chains and links to folders holding links — and the render is refused if
// any of them could lead out of the tree.
//
// One walk collects every entry (readdir + readlink of the links only); resolution then runs in
// memory, each link resolved once (memoized), so a big tree costs one pass, not a realpath per file.
//
// What is refused (PathOutsideRepository, naming the link's repository-relative path and never the
// target, whose meaning the message must not help probe):
// - an absolute target (/proc, /dev, /etc, a cache folder holding credentials...), unless it names
//   a path below the tree's own real path (which a working tree may hold; in a commit it cannot
//   mean anything else, the extraction folder being Tether's choice);
// - a target that climbs above the root with `..`, counted as the kernel does (`..` after a link
//   to a folder is the parent of the folder linked to, not of the link);
// - a dangling link whose target, completed lexically, would be outside: the tree is read-only and
//   immutable, so a dangling link inside stays harmless, but one that names an outside path is
//   refused rather than trusted to stay dangling;
// - a path through `.git` (a working tree rendered in tests or by the CLI holds its config there);
// - a loop, or a chain longer than the kernel follows (40): tools fail on them in different ways;
// - a link to a folder that contains it (`self -> .`): an endless tree for a walker that follows
//   folder links (helm's chart loader does) — a render would only end at its time limit;
// - more generally, any cycle among folder links (`a/l -> ../b` with `b/m -> ../a`: each target
//   is a plain folder, yet `a/l/m/l/m/…` never ends). See findFolderLinkCycle.
import fs from "node:fs/promises";
import path from "node:path";
import { RenderError } from "../errors.js";
import { LruCache } from "./lru-cache.js";

/** One entry of the tree, by repository-relative POSIX path ("" is the root). */
export type TreeEntry =
  { readonly kind: "dir" | "file" | "git" } | { readonly kind: "link"; readonly target: string };

export type EscapeReason = "absolute" | "above-root" | "git" | "loop" | "contains-itself" | "folder-cycle";

export interface EscapingLink {
  /** Repository-relative path of the link refused. */
  readonly link: string;
  readonly reason: EscapeReason;
}

/** The kernel's limit of links followed in one lookup (Linux MAXSYMLINKS). */
export const MAX_LINK_DEPTH = 40;

type Resolution =
  | { readonly ok: true; readonly path: string; readonly kind: "dir" | "file" | "missing" }
  | { readonly ok: false; readonly reason: EscapeReason };

const join = (parts: readonly string[]) => parts.join("/");
const split = (rel: string) => (rel === "" ? [] : rel.split("/"));

/**
 * The first link (in path order) whose final target may leave the tree, or undefined when every
 * link stays inside. Pure: `entries` is the whole tree as listed by `listTree`.
 */
export function findEscapingLink(
  entries: ReadonlyMap<string, TreeEntry>,
  /** The tree's absolute real path: an absolute target naming a path below it is followed. */
  root?: string,
): EscapingLink | undefined {
  const rootParts = root === undefined ? undefined : root.split("/").filter((p) => p !== "");
  const resolved = new Map<string, Resolution>();
  const resolving = new Set<string>();

  /** A dangling remainder, completed lexically: outside when a `..` climbs above the root. */
  const lexical = (from: string[], rest: readonly string[]): Resolution => {
    const cur = [...from];
    for (const part of rest) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (cur.length === 0) return { ok: false, reason: "above-root" };
        cur.pop();
      } else if (part === ".git") return { ok: false, reason: "git" };
      else cur.push(part);
    }
    return { ok: true, path: join(cur), kind: "missing" };
  };

  /** Follows `target` from the folder `from` as the kernel would. */
  const walkPath = (from: readonly string[], target: string, depth: number): Resolution => {
    let parts = target.split("/");
    let cur = [...from];
    if (target.startsWith("/")) {
      // Inside only when it names the tree's own real path, component by component (no `.`/`..`
      // on the way: those are refused rather than interpreted outside the tree).
      const named = parts.filter((p) => p !== "");
      const under = rootParts !== undefined && rootParts.every((p, i) => named[i] === p);
      if (!under) return { ok: false, reason: "absolute" };
      parts = named.slice(rootParts.length);
      cur = [];
    }
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (cur.length === 0) return { ok: false, reason: "above-root" };
        cur.pop();
        continue;
      }
      if (part === ".git") return { ok: false, reason: "git" };
      const candidate = [...cur, part];
      const rest = parts.slice(i + 1);
      const entry = entries.get(join(candidate));
      if (entry === undefined) return lexical(candidate, rest);
      if (entry.kind === "git") return { ok: false, reason: "git" };
      if (entry.kind === "dir") {
        cur = candidate;
        continue;
      }
      const here: Resolution =
        entry.kind === "link"
          ? resolveLink(join(candidate), depth + 1)
          : { ok: true, path: join(candidate), kind: "file" };
      if (!here.ok) return here;
      if (here.kind === "dir") {
        cur = split(here.path);
        continue;
      }
      // A file or a dangling link with more to follow: the lookup fails (ENOTDIR/ENOENT) unless
      // the missing part could be created — completed lexically like any dangling path.
      if (rest.some((p) => p !== "" && p !== ".")) return lexical(split(here.path), rest);
      return here;
    }
    return { ok: true, path: join(cur), kind: "dir" };
  };

  const resolveLink = (link: string, depth: number): Resolution => {
    const known = resolved.get(link);
    if (known) return known;
    if (resolving.has(link) || depth > MAX_LINK_DEPTH) return { ok: false, reason: "loop" };
    const entry = entries.get(link);
    if (entry?.kind !== "link") return { ok: true, path: link, kind: entry ? "dir" : "missing" };
    resolving.add(link);
    const parent = split(link).slice(0, -1);
    let result = walkPath(parent, entry.target, depth);
    if (result.ok && result.kind === "dir") {
      const dir = result.path;
      const parentPath = join(parent);
      if (dir === "" || parentPath === dir || parentPath.startsWith(`${dir}/`))
        result = { ok: false, reason: "contains-itself" };
    }
    resolving.delete(link);
    resolved.set(link, result);
    return result;
  };

  const links = [...entries].filter(([, e]) => e.kind === "link").map(([p]) => p);
  const folderTargets = new Map<string, string>();
  for (const link of links.sort()) {
    // Each link's own verdict, from depth 0: a refusal names the link that leads out.
    const result = resolved.get(link) ?? resolveLink(link, 0);
    if (!result.ok) return { link, reason: result.reason };
    if (result.kind === "dir") folderTargets.set(link, result.path);
  }
  const cycle = findFolderLinkCycle(entries, folderTargets);
  return cycle === undefined ? undefined : { link: cycle, reason: "folder-cycle" };
}

const parentOf = (rel: string) => {
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "" : rel.slice(0, slash);
};

/**
 * A folder link on a cycle of folder links, or undefined. A walker that follows folder links sees,
 * below a link L, the tree of L's target folder, so every folder link inside that folder; a cycle
 * of "L leads to L'" is an endless tree. The graph is the tree itself plus one edge per folder link:
 * folder -> each subfolder and folder link directly in it, folder link -> its target folder. The
 * plain folder tree has no cycle, so any cycle passes through a link, and the graph has one node
 * per folder or link: linear in the tree, however many links share a target. Iterative DFS (a
 * repository may nest folders far deeper than the stack allows recursion); the link named is the
 * first, in path order, of the cycle found — a repository-relative link path, never a target.
 */
export function findFolderLinkCycle(
  entries: ReadonlyMap<string, TreeEntry>,
  /** Every folder link (repository-relative path) and the real folder it resolves to. */
  folderTargets: ReadonlyMap<string, string>,
): string | undefined {
  if (folderTargets.size === 0) return undefined;
  const children = new Map<string, string[]>();
  for (const [rel, entry] of entries) {
    if (rel === "") continue;
    if (entry.kind !== "dir" && !folderTargets.has(rel)) continue;
    const parent = parentOf(rel);
    const list = children.get(parent);
    if (list) list.push(rel);
    else children.set(parent, [rel]);
  }
  const next = (node: string): readonly string[] => {
    const target = folderTargets.get(node);
    if (target !== undefined) return [target];
    return children.get(node) ?? [];
  };
  const ON_PATH = 1;
  const DONE = 2;
  const state = new Map<string, number>();
  for (const start of [...folderTargets.keys()].sort()) {
    if (state.has(start)) continue;
    const stack: { node: string; edges: readonly string[]; index: number }[] = [];
    state.set(start, ON_PATH);
    stack.push({ node: start, edges: next(start), index: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as (typeof stack)[number];
      const edge = top.edges[top.index++];
      if (edge === undefined) {
        state.set(top.node, DONE);
        stack.pop();
        continue;
      }
      const seen = state.get(edge);
      if (seen === DONE) continue;
      if (seen === ON_PATH) {
        const from = stack.findIndex((frame) => frame.node === edge);
        const onCycle = stack.slice(from).map((frame) => frame.node);
        return onCycle.filter((node) => folderTargets.has(node)).sort()[0];
      }
      state.set(edge, ON_PATH);
      stack.push({ node: edge, edges: next(edge), index: 0 });
    }
  }
  return undefined;
}

/**
 * Every entry below `root` (one readdir per folder, one readlink per link). A `.git` folder is
 * entered too: a working tree's holds no links, and one in an extracted tree can only come from a
 * crafted commit, whose links out a tool could still reach by naming the path directly.
 * `onFolder` runs per folder (the render deadline).
 */
export async function listTree(
  root: string,
  onFolder: () => void = () => undefined,
): Promise<Map<string, TreeEntry>> {
  const entries = new Map<string, TreeEntry>([["", { kind: "dir" }]]);
  const visit = async (rel: string): Promise<void> => {
    onFolder();
    const dirents = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    const folders: string[] = [];
    for (const dirent of dirents) {
      const child = rel === "" ? dirent.name : `${rel}/${dirent.name}`;
      if (dirent.isSymbolicLink())
        entries.set(child, { kind: "link", target: await fs.readlink(path.join(root, child)) });
      else if (dirent.isDirectory()) {
        entries.set(child, { kind: dirent.name === ".git" ? "git" : "dir" });
        folders.push(child);
      } else entries.set(child, { kind: dirent.name === ".git" ? "git" : "file" });
    }
    for (const folder of folders) await visit(folder);
  };
  await visit("");
  return entries;
}

const WHY: Record<EscapeReason, string> = {
  absolute: "points to an absolute path",
  "above-root": "climbs above the repository root",
  git: "points into .git",
  loop: `is part of a symlink loop (or a chain of more than ${MAX_LINK_DEPTH} links)`,
  "contains-itself": "points to a folder that contains it (an endless tree)",
  "folder-cycle": "is part of a cycle of folder symlinks (an endless tree)",
};

/** The RenderError for a refused link: its path and why, never where it points. */
export function escapingLinkError(escape: EscapingLink): RenderError {
  return new RenderError(
    "PathOutsideRepository",
    `${escape.link} is a symlink that leaves the repository: it ${WHY[escape.reason]}; every symlink in the repository must resolve inside it`,
  );
}

/** Refuses the tree at `realRoot` (already realpath'd) if any symlink in it may lead out. */
export async function assertTreeConfined(realRoot: string, onFolder?: () => void): Promise<void> {
  const escape = findEscapingLink(await listTree(realRoot, onFolder), realRoot);
  if (escape) throw escapingLinkError(escape);
}

/**
 * `assertTreeConfined` with a memory, for a renderer that renders many paths of one tree: trees
 * from the source stage are extracted once per commit and made read-only (trees.ts), so the verdict
 * of one walk holds for every later render of that tree. It is remembered only for a root that no
 * one may write (mode without w bits, as the tree store leaves it) and under the root's inode, so a
 * writable working tree (tests, the CLI) is walked on every render and a re-extracted tree again.
 */
export function createTreeGuard(capacity = 256): (realRoot: string, onFolder?: () => void) => Promise<void> {
  const verdicts = new LruCache<string, EscapingLink | "confined">(capacity);
  return async (realRoot, onFolder) => {
    const stat = await fs.stat(realRoot);
    const key = stat.mode & 0o222 ? undefined : `${realRoot}\0${stat.dev}:${stat.ino}`;
    let verdict = key === undefined ? undefined : verdicts.get(key);
    if (verdict === undefined) {
      verdict = findEscapingLink(await listTree(realRoot, onFolder), realRoot) ?? "confined";
      if (key !== undefined) verdicts.set(key, verdict);
    }
    if (verdict !== "confined") throw escapingLinkError(verdict);
  };
}
