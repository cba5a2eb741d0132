// Which Debian packages go into the image: apt resolves the full dependency closure of the roots
// (as it would for `apt-get install --no-install-recommends`); this pure step then drops the
// packages a container never uses, and everything reachable only through them. A package is kept
// when a kept package depends on it, following Depends and Pre-Depends and taking the first
// alternative of "a | b" that apt resolved.

export interface ResolvedPackage {
  name: string;
  version: string;
  architecture: string;
}

export interface PackageControl extends ResolvedPackage {
  /** Raw Depends and Pre-Depends fields joined with ", ". */
  depends: string;
  /** Virtual package names this one provides. */
  provides: string[];
}

/** What the image asks for; apt adds their dependencies. */
export const ROOT_PACKAGES = [
  "git", // the source stage: ls-remote, fetch, checkout
  "openssh-client", // ssh:// repositories (GIT_SSH_COMMAND)
  "ca-certificates", // https:// repositories and registries
  "libstdc++6", // node's one C++ runtime dependency
  "dash", // /bin/sh: git runs GIT_SSH_COMMAND and hooks through it
  "coreutils", // /usr/bin/env for the `#!/usr/bin/env node` entrypoint, and ls/cat when debugging
  "base-files", // /etc/os-release, so scanners can tell the distribution
] as const;

/** Packages dropped from the closure, with why a container does not need them. */
// prettier-ignore
export const SKIPPED_PACKAGES: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /^(perl|perl-base|perl-modules-[\d.]+|libperl[\d.]+|liberror-perl)$/, why: "only git's perl scripts (add -i, send-email, svn) need perl; Tether runs none" },
  { pattern: /^git-man$/, why: "manual pages" },
  { pattern: /^(adduser|passwd)$/, why: "account tools: the image writes /etc/passwd and /etc/group itself" },
  { pattern: /^(debconf|dpkg|debianutils|tar)$/, why: "used by maintainer scripts, which never run in this image" },
  { pattern: /^libsasl2-modules-db$/, why: "SASL's sasldb plugin (and Berkeley DB), loaded only for sasldb logins; libcurl's LDAP never uses it" },
  { pattern: /^openssl$/, why: "the CLI, used only by ca-certificates' update script; the bundle is generated here (libssl3 stays)" },
];

export function skipReason(name: string): string | undefined {
  return SKIPPED_PACKAGES.find((skip) => skip.pattern.test(name))?.why;
}

/** Parses `apt-get install -s` output: one "Inst name (version origin [arch])" line per package. */
export function parseSimulation(output: string): ResolvedPackage[] {
  const packages: ResolvedPackage[] = [];
  for (const line of output.split("\n")) {
    const match = /^Inst (\S+) (?:\[\S+\] )?\((\S+) .*\[(\S+)\]\)/.exec(line);
    if (match?.[1] && match[2] && match[3]) {
      packages.push({ name: match[1], version: match[2], architecture: match[3] });
    }
  }
  return packages;
}

/** The fields of a control file (`dpkg-deb -f`), continuation lines folded into their field. */
export function parseControl(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    if (/^\s/.test(line) && current) fields.set(current, `${fields.get(current) ?? ""}\n${line}`);
    else {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      current = line.slice(0, colon);
      fields.set(current, line.slice(colon + 1).trim());
    }
  }
  return fields;
}

/** "libc6 (>= 2.34), a | b:any" → [["libc6"], ["a", "b"]] */
export function dependencyGroups(field: string): string[][] {
  return field
    .split(",")
    .map((group) => group.trim())
    .filter((group) => group !== "")
    .map((group) => group.split("|").map((alt) => alt.trim().split(/[\s(:[]/)[0] ?? ""));
}

/** The kept packages in name order: reachable from the roots without passing a skipped package. */
export function prunedClosure<P extends PackageControl>(
  roots: readonly string[],
  resolved: readonly P[],
): P[] {
  const byName = new Map<string, P>();
  for (const pkg of resolved) byName.set(pkg.name, pkg);
  for (const pkg of resolved) {
    for (const virtual of pkg.provides) if (!byName.has(virtual)) byName.set(virtual, pkg);
  }
  const kept = new Map<string, P>();
  const visit = (name: string) => {
    const pkg = byName.get(name);
    if (!pkg || kept.has(pkg.name) || skipReason(pkg.name)) return;
    kept.set(pkg.name, pkg);
    for (const group of dependencyGroups(pkg.depends)) {
      const chosen = group.find((alt) => byName.has(alt));
      if (chosen) visit(chosen);
    }
  };
  for (const root of roots) {
    if (!byName.has(root)) throw new Error(`package ${root}: apt did not resolve it`);
    visit(root);
  }
  return [...kept.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
