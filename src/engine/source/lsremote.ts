// Parsing `git ls-remote --symref` output into a snapshot of the remote's branches and tags. The
// snapshot decides whether a fetch is needed and which commit a branch or tag names. Pure.

export interface RemoteRefs {
  /** Full ref name (`refs/heads/*`, `refs/tags/*`) → object id as advertised. */
  readonly refs: ReadonlyMap<string, string>;
  /** Annotated tag ref → the commit it peels to (the `^{}` lines). */
  readonly peeled: ReadonlyMap<string, string>;
  /** The remote HEAD: the branch it points at (when advertised) and its commit. */
  readonly head: { readonly target?: string; readonly commit?: string };
}

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Only branches and tags are mirrored; pull-request refs and the like are ignored. */
function isMirroredRef(name: string): boolean {
  return name.startsWith("refs/heads/") || name.startsWith("refs/tags/");
}

export function parseLsRemote(output: string): RemoteRefs {
  const refs = new Map<string, string>();
  const peeled = new Map<string, string>();
  let target: string | undefined;
  let headCommit: string | undefined;
  for (const line of output.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const left = line.slice(0, tab).trim();
    const name = line.slice(tab + 1).trim();
    if (left.startsWith("ref: ")) {
      if (name === "HEAD") target = left.slice(5).trim();
      continue;
    }
    if (!OBJECT_ID.test(left)) continue;
    if (name === "HEAD") headCommit = left;
    else if (name.endsWith("^{}")) {
      const base = name.slice(0, -3);
      if (isMirroredRef(base)) peeled.set(base, left);
    } else if (isMirroredRef(name)) refs.set(name, left);
  }
  return { refs, peeled, head: { target, commit: headCommit } };
}

/** The commit a ref names: the peeled commit for an annotated tag, the advertised id otherwise. */
export function commitOfRef(remote: RemoteRefs, ref: string): string | undefined {
  return remote.peeled.get(ref) ?? remote.refs.get(ref);
}

/** Tag names (without `refs/tags/`), in ls-remote order. */
export function tagNames(remote: RemoteRefs): string[] {
  return [...remote.refs.keys()].filter((r) => r.startsWith("refs/tags/")).map((r) => r.slice(10));
}

/** A stable text form of everything a fetch would change; equal fingerprints mean nothing moved. */
export function refsFingerprint(remote: RemoteRefs): string {
  const lines = [...remote.refs].map(([name, id]) => `${id} ${name}`).sort();
  return [`HEAD ${remote.head.target ?? ""} ${remote.head.commit ?? ""}`, ...lines].join("\n");
}
