// The whole-tree symlink check (tree-links.ts): the pure resolver on in-memory trees, and the one
// walk on a real folder.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import type { TreeEntry } from "../../src/engine/render/tree-links.js";
import {
  assertTreeConfined,
  createTreeGuard,
  findEscapingLink,
  listTree,
  MAX_LINK_DEPTH,
} from "../../src/engine/render/tree-links.js";

/** A tree from a spec: "dir/" a folder, "a -> t" a link, anything else a file. Parents implied. */
function tree(...specs: string[]): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>([["", { kind: "dir" }]]);
  const addParents = (p: string) => {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) entries.set(parts.slice(0, i).join("/"), { kind: "dir" });
  };
  for (const spec of specs) {
    const [name = "", target] = spec.split(" -> ");
    const clean = name.replace(/\/$/, "");
    addParents(clean);
    if (target !== undefined) entries.set(clean, { kind: "link", target });
    else if (clean === ".git" || clean.endsWith("/.git")) entries.set(clean, { kind: "git" });
    else entries.set(clean, { kind: name.endsWith("/") ? "dir" : "file" });
  }
  return entries;
}

const escape = (...specs: string[]) => findEscapingLink(tree(...specs));

describe("links that stay inside are allowed", () => {
  test("file and folder links, relative, to siblings and up", () => {
    assert.equal(
      escape("a/x.yaml", "b/f -> ../a/x.yaml", "b/d -> ../a", "c/deep/l -> ../../a/x.yaml"),
      undefined,
    );
  });
  test("a chain of links inside", () => {
    assert.equal(escape("a/x", "l1 -> l2", "l2 -> l3", "l3 -> a/x"), undefined);
  });
  test("dangling links whose path stays inside", () => {
    assert.equal(escape("a/", "a/l -> missing", "b -> a/nope/../../c"), undefined);
  });
  test("a chart linking a library chart elsewhere in the repository", () => {
    assert.equal(escape("lib/Chart.yaml", "app/charts/lib -> ../../lib", "app/Chart.yaml"), undefined);
  });
});

describe("links that may leave are refused, naming the link", () => {
  test("the reported attack: a folder link to a folder holding links out", () => {
    assert.deepEqual(
      escape(
        "chart/Chart.yaml",
        "chart/ext -> ../other",
        "other/kc -> /root/.cache/tether/run/local/kubeconfig",
        "other/passwd -> /etc/passwd",
      ),
      { link: "other/kc", reason: "absolute" },
    );
  });
  test("the same with relative links climbing out", () => {
    assert.deepEqual(escape("chart/ext -> ../other", "other/kc -> ../../../root/kc"), {
      link: "other/kc",
      reason: "above-root",
    });
  });
  test("an absolute target is inside only when it names a path below the tree's real path", () => {
    const root = "/cache/trees/abc";
    assert.equal(
      findEscapingLink(tree("a/x", "l -> /cache/trees/abc/a/x", "d -> /cache/trees/abc/a"), root),
      undefined,
    );
    assert.deepEqual(findEscapingLink(tree("l -> /cache/trees/abc/../../repos/r.git/config"), root), {
      link: "l",
      reason: "above-root",
    });
    assert.deepEqual(findEscapingLink(tree("l -> /cache/trees/abcdef/x"), root), {
      link: "l",
      reason: "absolute",
    });
    assert.deepEqual(findEscapingLink(tree("l -> /cache/./trees/abc/x"), root), {
      link: "l",
      reason: "absolute",
    });
    assert.deepEqual(findEscapingLink(tree("l -> /cache/trees/abc/a/x"), undefined), {
      link: "l",
      reason: "absolute",
    });
  });
  test("absolute targets, even into /proc and /dev", () => {
    assert.equal(escape("p -> /proc/self/environ")?.reason, "absolute");
    assert.equal(escape("d -> /dev/stdin")?.reason, "absolute");
  });
  test("`..` counts from the folder linked to, as the kernel does", () => {
    // deep -> a/b/c, then deep/../../.. is a/b/c/../../.. = the root: inside; one more climbs out.
    assert.equal(escape("a/b/c/", "deep -> a/b/c", "ok -> deep/../../../x"), undefined);
    assert.deepEqual(escape("a/b/c/", "deep -> a/b/c", "out -> deep/../../../../x"), {
      link: "out",
      reason: "above-root",
    });
    // Lexically x/../.. would be the root's parent; through the link it is inside.
    assert.equal(escape("a/b/", "x -> a/b", "y -> x/../../z"), undefined);
  });
  test("a chain whose last link leaves", () => {
    assert.deepEqual(escape("l1 -> l2", "l2 -> sub/l3", "sub/l3 -> ../../out"), {
      link: "l1",
      reason: "above-root",
    });
  });
  test("a link through a folder link that leaves", () => {
    assert.deepEqual(escape("a -> ../outside", "b -> a/file"), { link: "a", reason: "above-root" });
  });
  test("a dangling link naming an outside path", () => {
    assert.deepEqual(escape("a/", "a/l -> missing/../../../etc/passwd"), {
      link: "a/l",
      reason: "above-root",
    });
    assert.deepEqual(escape("f", "l -> f/../../x"), { link: "l", reason: "above-root" });
  });
  test("links into .git", () => {
    assert.deepEqual(escape(".git", "cfg -> .git/config"), { link: "cfg", reason: "git" });
    assert.deepEqual(escape("sub/.git", "l -> sub/.git"), { link: "l", reason: "git" });
  });
  test("loops: self, pair, and a chain longer than the kernel follows", () => {
    assert.deepEqual(escape("a -> a"), { link: "a", reason: "loop" });
    assert.deepEqual(escape("a -> b", "b -> a"), { link: "a", reason: "loop" });
    const chain = Array.from(
      { length: MAX_LINK_DEPTH + 5 },
      (_, i) => `l${String(i).padStart(3, "0")} -> l${String(i + 1).padStart(3, "0")}`,
    );
    assert.equal(escape(...chain, `l${MAX_LINK_DEPTH + 5} -> x`)?.reason, "loop");
  });
  test("a link to a folder that contains it", () => {
    assert.deepEqual(escape("chart/self -> ."), { link: "chart/self", reason: "contains-itself" });
    assert.deepEqual(escape("chart/up -> .."), { link: "chart/up", reason: "contains-itself" });
    assert.deepEqual(escape("a/b/c/", "a/b/c/top -> ../../../a"), {
      link: "a/b/c/top",
      reason: "contains-itself",
    });
  });
  test("a cycle of two folder links, neither pointing to its own ancestor", () => {
    assert.deepEqual(escape("a/x", "b/y", "a/l -> ../b", "b/m -> ../a"), {
      link: "a/l",
      reason: "folder-cycle",
    });
  });
  test("a cycle of three folder links, deep inside and through a chain of links", () => {
    const found = escape("p/q/l1 -> ../../r", "r/s/l2 -> ../../t", "t/l3 -> via", "t/via -> ../p/q/..");
    assert.deepEqual(found, { link: "p/q/l1", reason: "folder-cycle" });
  });
  test("a diamond of folder links without a cycle passes", () => {
    assert.equal(
      escape("lib/Chart.yaml", "x/lib -> ../lib", "y/lib -> ../lib", "app/x -> ../x", "app/y -> ../y"),
      undefined,
    );
  });
  test("the link named is one of the cycle, never a link that only leads to it", () => {
    const found = escape("entry/in -> ../a", "a/l -> ../b", "b/m -> ../a");
    assert.deepEqual(found, { link: "a/l", reason: "folder-cycle" });
  });
  test("many folder links sharing one target, with and without a cycle", () => {
    // 5 000 links into one folder of 5 000 links: n² edges if each link listed the links below
    // its target; the graph has one node per entry instead.
    const specs = ["target/x"];
    for (let i = 0; i < 5_000; i++) specs.push(`target/t${i} -> ../leaf`, `from/f${i} -> ../target`);
    specs.push("leaf/x");
    assert.equal(escape(...specs), undefined);
    assert.equal(escape(...specs, "leaf/back -> ../from")?.reason, "folder-cycle");
  });
  test("thousands of chained links resolve in one pass: lookups grow with the tree, not its square", () => {
    // Chains of 20 links (each link resolved once, memoized), 20 000 links in all.
    const specs = ["base/x"];
    for (let i = 0; i < 20_000; i++)
      specs.push(`d${i}/l -> ${i % 20 === 0 ? "../base/x" : `../d${i - 1}/l`}`);
    const entries = tree(...specs);
    let lookups = 0;
    const counted = new Map(entries);
    counted.get = (key: string) => {
      lookups += 1;
      return entries.get(key);
    };
    assert.equal(findEscapingLink(counted), undefined);
    assert.ok(lookups <= 4 * entries.size, `${lookups} lookups for ${entries.size} entries`);
  });
});

describe("on disk", () => {
  test("listTree and assertTreeConfined walk every folder once, .git included", async () => {
    const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "tree-links-")));
    try {
      await fs.mkdir(path.join(root, "chart"));
      await fs.mkdir(path.join(root, "other"));
      await fs.mkdir(path.join(root, ".git"));
      await fs.writeFile(path.join(root, ".git", "config"), "");
      await fs.symlink("../other", path.join(root, "chart", "ext"));
      const entries = await listTree(root);
      assert.deepEqual([...entries.keys()].sort(), [
        "",
        ".git",
        ".git/config",
        "chart",
        "chart/ext",
        "other",
      ]);
      await assertTreeConfined(root);
      // A crafted commit may hold a .git folder with links out: checked like any other folder.
      await fs.symlink("/etc/passwd", path.join(root, ".git", "evil"));
      await assert.rejects(assertTreeConfined(root), /^RenderError: \.git\/evil is a symlink/);
      await fs.rm(path.join(root, ".git", "evil"));
      await fs.symlink("/etc/passwd", path.join(root, "other", "passwd"));
      await assert.rejects(assertTreeConfined(root), (error: unknown) => {
        assert.ok(error instanceof RenderError);
        assert.equal(error.reason, "PathOutsideRepository");
        assert.match(
          error.message,
          /^other\/passwd is a symlink that leaves the repository: it points to an absolute path/,
        );
        assert.doesNotMatch(error.message, /etc|root:/);
        return true;
      });
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
  test("the guard remembers a read-only tree's verdict, never a writable one's", async () => {
    const root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "tree-links-")));
    const guard = createTreeGuard();
    try {
      await guard(root);
      await fs.symlink("/etc/passwd", path.join(root, "late"));
      await assert.rejects(guard(root), /late is a symlink/);
      await fs.rm(path.join(root, "late"));
      await fs.chmod(root, 0o555);
      let folders = 0;
      await guard(root, () => void (folders += 1));
      await guard(root, () => void (folders += 1));
      assert.equal(folders, 1, "a read-only tree is walked once");
    } finally {
      await fs.chmod(root, 0o755);
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
