// The Debian part of the image's root filesystem, assembled without running anything from the
// packages: each .deb is unpacked with `dpkg-deb -x` (no maintainer scripts), documentation is
// trimmed, and the few things the maintainer scripts would have made are written here instead:
// accounts, the CA bundle, /tmp, and a dpkg record per package so scanners see what is installed.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { DownloadedPackage } from "./apt.js";

const run = promisify(execFile);

export const IMAGE_USER = { name: "tether", uid: 65532, gid: 65532, home: "home/tether" } as const;

/** Paths (relative to the root) removed after unpacking, and why the image does without them. */
// prettier-ignore
const TRIMMED: ReadonlyArray<{ paths: string[]; why: string }> = [
  { paths: ["usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian", "usr/share/bug"], why: "manuals and translations" },
  { paths: ["usr/lib/x86_64-linux-gnu/gconv"], why: "iconv modules for legacy charsets (8 MB); git and ssh work in UTF-8, node has ICU" },
  { paths: ["usr/lib/git-core/git-daemon", "usr/lib/git-core/git-http-backend", "usr/lib/git-core/git-shell", "usr/bin/git-shell", "usr/share/gitweb"], why: "git's server side: Tether is a git client" },
  { paths: ["usr/bin/ssh-agent", "usr/bin/ssh-add", "usr/bin/scp", "usr/bin/sftp", "usr/lib/openssh"], why: "ssh's agent, file copy, host-based auth and hardware-key helpers: Tether runs `ssh` with a key file" },
  { paths: ["usr/lib/git-core/git-http-push", "usr/lib/git-core/git-imap-send", "usr/lib/git-core/scalar", "usr/bin/scalar"], why: "git programs Tether never runs (push over WebDAV, mail, scalar)" },
];

/** Ownership and modes the tar writer applies to this layer (everything else is root's, 0755/0644). */
export const ROOTFS_TAR_OVERRIDES = {
  owners: { [IMAGE_USER.home]: { uid: IMAGE_USER.uid, gid: IMAGE_USER.gid } },
  modes: { tmp: 0o1777, "var/tmp": 0o1777, root: 0o700 },
};

const PASSWD = [
  "root:x:0:0:root:/root:/usr/sbin/nologin",
  `${IMAGE_USER.name}:x:${IMAGE_USER.uid}:${IMAGE_USER.gid}:Tether:/${IMAGE_USER.home}:/usr/sbin/nologin`,
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
];
const GROUP = ["root:x:0:", `${IMAGE_USER.name}:x:${IMAGE_USER.gid}:`, "nogroup:x:65534:"];

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

/** Keeps each package's copyright file (the licence notice) and drops the rest of /usr/share/doc. */
async function trimDocs(root: string): Promise<void> {
  const docDir = path.join(root, "usr/share/doc");
  if (!(await exists(docDir))) return;
  for (const pkg of await fs.readdir(docDir)) {
    const dir = path.join(docDir, pkg);
    if (!(await fs.lstat(dir)).isDirectory()) {
      await fs.rm(dir, { force: true });
      continue;
    }
    for (const entry of await fs.readdir(dir)) {
      if (entry !== "copyright") await fs.rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

/** update-ca-certificates' output: every certificate under /usr/share/ca-certificates, in name order. */
async function caBundle(root: string): Promise<string> {
  const base = path.join(root, "usr/share/ca-certificates");
  const files = (await fs.readdir(base, { recursive: true })).filter((f) => f.endsWith(".crt")).sort();
  if (files.length === 0) throw new Error(`${base}: no certificates (is ca-certificates unpacked?)`);
  const pems = await Promise.all(files.map((f) => fs.readFile(path.join(base, f), "utf8")));
  return pems.map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`)).join("");
}

/** dpkg's record of an installed package, one file per package as distroless images keep them. */
function statusRecord(pkg: DownloadedPackage): string {
  const control = pkg.control.trimEnd();
  const lines = control.split("\n");
  const packageLine = lines.findIndex((line) => line.startsWith("Package:"));
  lines.splice(packageLine + 1, 0, "Status: install ok installed");
  return `${lines.join("\n")}\n`;
}

/**
 * Files with the same bytes and mode become hardlinks of one another, so the layer stores them once
 * (Debian's git ships /usr/bin/git and /usr/lib/git-core/git as two copies of a 3.7 MB binary).
 */
async function hardlinkDuplicates(root: string): Promise<void> {
  const files = (await fs.readdir(root, { recursive: true })).sort();
  const firstBySum = new Map<string, { file: string; ino: number }>();
  for (const relative of files) {
    const file = path.join(root, relative);
    const stat = await fs.lstat(file);
    if (!stat.isFile() || stat.size < 4096) continue;
    const sum = `${stat.mode}:${createHash("sha256")
      .update(await fs.readFile(file))
      .digest("hex")}`;
    const first = firstBySum.get(sum);
    if (!first) firstBySum.set(sum, { file, ino: stat.ino });
    else if (first.ino !== stat.ino) {
      await fs.rm(file);
      await fs.link(first.file, file);
    }
  }
}

/** Fills `root` with the unpacked packages and the files their maintainer scripts would make. */
export async function assembleRootfs(root: string, packages: readonly DownloadedPackage[]): Promise<void> {
  for (const pkg of packages) await run("dpkg-deb", ["-x", pkg.file, root]);
  await trimDocs(root);
  for (const { paths } of TRIMMED) {
    for (const trimmed of paths) await fs.rm(path.join(root, trimmed), { recursive: true, force: true });
  }

  // dash's postinst makes /bin/sh; maintainer scripts do not run here.
  if (!(await exists(path.join(root, "bin/sh")))) await fs.symlink("dash", path.join(root, "bin/sh"));

  const etc = path.join(root, "etc");
  await fs.mkdir(path.join(etc, "ssl/certs"), { recursive: true });
  await fs.writeFile(path.join(etc, "ssl/certs/ca-certificates.crt"), await caBundle(root));
  await fs.writeFile(path.join(etc, "passwd"), `${PASSWD.join("\n")}\n`);
  await fs.writeFile(path.join(etc, "group"), `${GROUP.join("\n")}\n`);
  await fs.writeFile(path.join(etc, "nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");

  // Mount points a runtime fills, a writable /tmp, and the user's home (owned by it via the tar).
  for (const dir of ["proc", "sys", "dev", "run", "tmp", "var/tmp", "root", IMAGE_USER.home]) {
    await fs.mkdir(path.join(root, dir), { recursive: true });
  }

  await hardlinkDuplicates(root);

  const statusDir = path.join(root, "var/lib/dpkg/status.d");
  await fs.mkdir(statusDir, { recursive: true });
  for (const pkg of packages) await fs.writeFile(path.join(statusDir, pkg.name), statusRecord(pkg));
}
