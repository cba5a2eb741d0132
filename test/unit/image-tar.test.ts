// The image build's tar writer (scripts/image/tar.ts): the same tree gives the same bytes whatever
// the files' mtimes, owners and umask on disk, and GNU tar reads back names, modes, owners,
// symlinks, hardlinks and names longer than ustar's 100 bytes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { tarDirectory } from "../../scripts/image/tar.js";

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tether-image-tar-"));
after(() => fs.rm(tmp, { recursive: true, force: true }));

const longName = `${"deep/".repeat(25)}file.txt`;

async function makeTree(root: string, mtime: Date, fileMode: number): Promise<void> {
  await fs.mkdir(path.join(root, "home/user"), { recursive: true });
  await fs.mkdir(path.join(root, "tmp"));
  await fs.mkdir(path.join(root, path.dirname(longName)), { recursive: true });
  await fs.writeFile(path.join(root, "b.txt"), "bee\n", { mode: fileMode });
  await fs.writeFile(path.join(root, "a.sh"), "#!/bin/sh\n", { mode: 0o700 });
  await fs.writeFile(path.join(root, longName), "long\n");
  await fs.link(path.join(root, "a.sh"), path.join(root, "z-link.sh"));
  await fs.symlink("/usr/bin/target", path.join(root, "sym"));
  for (const file of ["b.txt", "a.sh", longName]) await fs.utimes(path.join(root, file), mtime, mtime);
}

async function tarOf(root: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const options = {
    mtime: 0,
    owners: { "home/user": { uid: 65532, gid: 65532 } },
    modes: { tmp: 0o1777 },
  };
  for await (const chunk of tarDirectory(root, options)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test("the same tree gives the same bytes, whatever its mtimes and modes on disk", async () => {
  const one = path.join(tmp, "one");
  const two = path.join(tmp, "two");
  await makeTree(one, new Date("2020-01-01T00:00:00Z"), 0o600);
  await makeTree(two, new Date("2024-06-01T12:00:00Z"), 0o664);
  const digest = async (root: string) =>
    createHash("sha256")
      .update(await tarOf(root))
      .digest("hex");
  assert.equal(await digest(one), await digest(two));
});

test("GNU tar lists every entry in name order, with the normalized modes, owners and links", async () => {
  const root = path.join(tmp, "listed");
  await makeTree(root, new Date(), 0o600);
  const archive = path.join(tmp, "listed.tar");
  await fs.writeFile(archive, await tarOf(root));
  const listing = execFileSync("tar", ["--numeric-owner", "-tvf", archive], { encoding: "utf8" });
  const lines = listing.trim().split("\n");
  const names = lines.map((line) => line.split(/\s+/).slice(5).join(" "));
  assert.deepEqual(names, [
    "a.sh",
    "b.txt",
    "deep/",
    ...Array.from({ length: 24 }, (_, i) => `${"deep/".repeat(i + 2)}`),
    longName,
    "home/",
    "home/user/",
    "sym -> /usr/bin/target",
    "tmp/",
    "z-link.sh link to a.sh",
  ]);
  const line = (name: string) => lines.find((l) => l.endsWith(` ${name}`)) ?? "";
  assert.match(line("a.sh"), /^-rwxr-xr-x 0\/0 +10 1970-01-01 /);
  assert.match(line("b.txt"), /^-rw-r--r-- 0\/0 +4 1970-01-01 /);
  assert.match(line("home/user/"), /^drwxr-xr-x 65532\/65532 /);
  assert.match(line("tmp/"), /^drwxrwxrwt 0\/0 /);
  assert.match(line("sym -> /usr/bin/target"), /^lrwxrwxrwx 0\/0 /);

  const out = path.join(tmp, "extracted");
  await fs.mkdir(out);
  execFileSync("tar", ["-xf", archive, "-C", out]);
  assert.equal(await fs.readFile(path.join(out, longName), "utf8"), "long\n");
  const [a, z] = await Promise.all(["a.sh", "z-link.sh"].map((f) => fs.stat(path.join(out, f))));
  assert.equal(a?.ino, z?.ino, "z-link.sh is a hardlink of a.sh");
});
