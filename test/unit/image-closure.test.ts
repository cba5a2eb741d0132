// Which Debian packages the image keeps (scripts/image/debian/closure.ts): the closure apt
// resolved, minus the skipped packages and what only they pull in.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PackageControl } from "../../scripts/image/debian/closure.js";
import {
  dependencyGroups,
  parseControl,
  parseSimulation,
  prunedClosure,
} from "../../scripts/image/debian/closure.js";

const pkg = (name: string, depends = "", provides: string[] = []): PackageControl => ({
  name,
  version: "1.0",
  architecture: "amd64",
  depends,
  provides,
});

test("apt's simulation lines become name, version and architecture", () => {
  const output = [
    "NOTE: This is only a simulation!",
    "Inst libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64]) []",
    "Inst git (1:2.39.5-0+deb12u3 Debian:12.15/oldstable [amd64])",
    "Inst libkrb5-3 (1.20.1-2+deb12u5 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])",
    "Conf git (1:2.39.5-0+deb12u3 Debian:12.15/oldstable [amd64])",
  ].join("\n");
  assert.deepEqual(parseSimulation(output), [
    { name: "libc6", version: "2.36-9+deb12u14", architecture: "amd64" },
    { name: "git", version: "1:2.39.5-0+deb12u3", architecture: "amd64" },
    { name: "libkrb5-3", version: "1.20.1-2+deb12u5", architecture: "amd64" },
  ]);
});

test("control fields fold continuation lines; dependency groups drop versions and arch qualifiers", () => {
  const fields = parseControl("Package: git\nVersion: 1:2.39\nDescription: fast\n more text\nDepends: a\n");
  assert.equal(fields.get("Description"), "fast\n more text");
  assert.equal(fields.get("Depends"), "a");
  assert.deepEqual(dependencyGroups("libc6 (>= 2.34), perl:any | perl-base, zlib1g [amd64]"), [
    ["libc6"],
    ["perl", "perl-base"],
    ["zlib1g"],
  ]);
});

test("skipped packages and what only they need are dropped; shared dependencies stay", () => {
  const resolved = [
    pkg("git", "libc6, perl, git-man, libcurl3-gnutls"),
    pkg("perl", "perl-base, libperl5.36, libgdbm6"),
    pkg("perl-base", "libc6"),
    pkg("libperl5.36", "libc6"),
    pkg("libgdbm6", "libc6"),
    pkg("git-man"),
    pkg("libcurl3-gnutls", "libc6, libgnutls30"),
    pkg("libgnutls30", "libc6"),
    pkg("libc6", "libgcc-s1"),
    pkg("libgcc-s1", "libc6"),
    pkg("ca-certificates", "openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0"),
    pkg("openssl", "libssl3"),
    pkg("libssl3", "libc6"),
    pkg("debconf", "perl-base"),
    pkg("openssh-client", "libssl3, passwd"),
    pkg("passwd", "libpam0g"),
    pkg("libpam0g", "libc6"),
  ];
  const kept = prunedClosure(["git", "ca-certificates", "openssh-client"], resolved).map((p) => p.name);
  assert.deepEqual(kept, [
    "ca-certificates",
    "git",
    "libc6",
    "libcurl3-gnutls",
    "libgcc-s1",
    "libgnutls30",
    "libssl3",
    "openssh-client",
  ]);
});

test("a virtual package is satisfied by its provider; an unresolved root is an error", () => {
  const resolved = [pkg("app", "awk"), pkg("mawk", "", ["awk"])];
  assert.deepEqual(
    prunedClosure(["app"], resolved).map((p) => p.name),
    ["app", "mawk"],
  );
  assert.throws(() => prunedClosure(["nope"], resolved), /package nope: apt did not resolve it/);
});
