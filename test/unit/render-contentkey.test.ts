// The content key of a plain-manifest folder (engine/render/contentkey.ts) over `git ls-tree -r -z`
// listings (engine/source/treelisting.ts): equal while the folder's files are, whatever else the
// commit changed; none where a render may read outside the folder.
import assert from "node:assert/strict";
import { test } from "node:test";
import { folderContentKey } from "../../src/engine/render/contentkey.js";
import { entriesUnder, parseTreeListing, type TreeEntry } from "../../src/engine/source/treelisting.js";

type Files = Record<string, [mode: string, n: number]>;
const oid = (n: number) => n.toString(16).padStart(40, "0");
const listing = (files: Record<string, [mode: string, n: number]>) =>
  Object.entries(files)
    .map(([path, [mode, n]]) => `${mode} ${mode === "160000" ? "commit" : "blob"} ${oid(n)}\t${path}\0`)
    .join("");
const at = (files: Record<string, [string, number]>, folder: string): TreeEntry[] =>
  entriesUnder(parseTreeListing(listing(files)), folder);
const source = { repoURL: "https://git.example/r.git", path: "apps/a" };

const commit1 = {
  "apps/a/cm.yaml": ["100644", 1],
  "apps/a/sub/deploy.yaml": ["100644", 2],
  "apps/b/cm.yaml": ["100644", 3],
  "README.md": ["100644", 4],
} satisfies Record<string, [string, number]>;

test("parse: mode, type, object id and path; a path may hold spaces and tabs", () => {
  const entries = parseTreeListing(
    `100644 blob ${oid(1)}\tdir/a b\tc.yaml\u0000120000 blob ${oid(2)}\tlink\0`,
  );
  assert.deepEqual(entries, [
    { mode: "100644", type: "blob", oid: oid(1), path: "dir/a b\tc.yaml" },
    { mode: "120000", type: "blob", oid: oid(2), path: "link" },
  ]);
  assert.throws(() => parseTreeListing("garbage\0"), /unexpected ls-tree record/);
  assert.deepEqual(parseTreeListing(""), []);
});

test("entriesUnder: only the folder's files, relative to it; a name sharing the prefix is not inside", () => {
  const files = { ...commit1, "apps/ab/x.yaml": ["100644", 9] } satisfies Record<string, [string, number]>;
  assert.deepEqual(
    at(files, "apps/a").map((e) => e.path),
    ["cm.yaml", "sub/deploy.yaml"],
  );
  assert.equal(at(files, "").length, 5, "the root is the whole tree");
});

test("the key follows the folder's content only", () => {
  const key = folderContentKey(source, at(commit1, "apps/a"));
  assert.match(key ?? "", /^tree:[0-9a-f]{64}$/);
  const elsewhere: Files = { ...commit1, "apps/b/cm.yaml": ["100644", 30], "README.md": ["100644", 40] };
  assert.equal(folderContentKey(source, at(elsewhere, "apps/a")), key, "other folders changed");
  const edited: Files = { ...commit1, "apps/a/sub/deploy.yaml": ["100644", 20] };
  assert.notEqual(folderContentKey(source, at(edited, "apps/a")), key, "a file of the folder changed");
  const chmod: Files = { ...commit1, "apps/a/cm.yaml": ["100755", 1] };
  assert.notEqual(folderContentKey(source, at(chmod, "apps/a")), key, "a mode changed");
  const renamed: Files = { ...commit1 };
  delete renamed["apps/a/cm.yaml"];
  renamed["apps/a/cm2.yaml"] = ["100644", 1];
  assert.notEqual(folderContentKey(source, at(renamed, "apps/a")), key, "a file renamed");
});

test("no key where the render may read outside the folder or the folder is not there", () => {
  const with_ = (extra: Record<string, [string, number]>) => at({ ...commit1, ...extra }, "apps/a");
  assert.equal(folderContentKey(source, with_({ "apps/a/kustomization.yaml": ["100644", 5] })), undefined);
  assert.equal(folderContentKey(source, with_({ "apps/a/Kustomization": ["100644", 5] })), undefined);
  assert.equal(folderContentKey(source, with_({ "apps/a/Chart.yaml": ["100644", 5] })), undefined);
  assert.equal(folderContentKey(source, with_({ "apps/a/sub/link": ["120000", 5] })), undefined, "symlink");
  assert.equal(folderContentKey(source, with_({ "apps/a/vendor": ["160000", 5] })), undefined, "submodule");
  assert.equal(folderContentKey({ ...source, type: "Kustomize" }, at(commit1, "apps/a")), undefined);
  assert.equal(folderContentKey({ ...source, chart: "demo" }, at(commit1, "apps/a")), undefined);
  assert.equal(folderContentKey(source, at(commit1, "apps/none")), undefined, "missing folder");
  assert.equal(folderContentKey(source, undefined), undefined, "no listing");
  // A kustomization deeper down is only a file to a Directory render (it is not recursed into kustomize).
  assert.ok(folderContentKey(source, with_({ "apps/a/sub/kustomization.yaml": ["100644", 5] })));
  assert.ok(folderContentKey({ ...source, type: "Directory" }, at(commit1, "apps/a")));
});
