// The ApplicationSet generators' inputs from the world: cluster Secrets (Argo CD's format, in
// Tether's system namespace) and Git listings through the shared repository cache. A tree is held
// per repository and revision until the commit moves, so a set reconciled on every app event does
// not extract its commit again each time.
import fs from "node:fs/promises";
import path from "node:path";
import type { ClusterInfo, GitListing } from "../engine/appset/generators.js";
import type { RepositoryCache, SourceTree } from "../engine/source/index.js";
import { KeyedMutex } from "../engine/source/mutex.js";
import type { KubeClients } from "../kube/client.js";
import { SECRET_TYPE_LABEL } from "../model/contract.js";

/** Labels that mark a Secret as a cluster (Tether's, and Argo CD's so its Secrets work as they are). */
export const CLUSTER_SECRET_SELECTORS = [
  `${SECRET_TYPE_LABEL}=cluster`,
  "argocd.argoproj.io/secret-type=cluster",
];

const decode = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");

/** Cluster Secrets with keys `name` and `server` (and optionally `project`, `config`). */
export async function listClusters(clients: KubeClients, namespace: string): Promise<ClusterInfo[]> {
  const seen = new Map<string, ClusterInfo>();
  for (const labelSelector of CLUSTER_SECRET_SELECTORS) {
    const list = await clients.core.listNamespacedSecret({ namespace, labelSelector });
    for (const secret of list.items) {
      const server = decode(secret.data?.["server"]);
      if (!server) continue;
      const name = decode(secret.data?.["name"]) ?? server;
      const project = decode(secret.data?.["project"]);
      seen.set(secret.metadata?.name ?? name, {
        name,
        server,
        ...(project ? { project } : {}),
        labels: secret.metadata?.labels ?? {},
        annotations: secret.metadata?.annotations ?? {},
      });
    }
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface Held {
  readonly tree: SourceTree;
  readonly listing: Promise<{ directories: string[]; files: string[] }>;
}

async function walk(root: string): Promise<{ directories: string[]; files: string[] }> {
  const directories: string[] = [];
  const files: string[] = [];
  const visit = async (rel: string) => {
    for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      // Symlinks are neither followed nor listed, and only listed files are read: a generator stays
      // inside the repository whatever its links point to (render/tree-links.ts refuses them for renders).
      if (entry.isDirectory()) {
        if (entry.name === ".git") continue;
        directories.push(child);
        await visit(child);
      } else if (entry.isFile()) files.push(child);
    }
  };
  await visit("");
  return { directories: directories.sort(), files: files.sort() };
}

export class GitListings {
  private readonly held = new Map<string, Held>();
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly source: RepositoryCache,
    /** How long a repository's last ls-remote is reused (the poll interval). */
    private readonly maxAgeMs: number,
  ) {}

  async listing(repoURL: string, revision: string, fresh = false): Promise<GitListing> {
    const resolved = await this.source.resolve(repoURL, revision, fresh ? {} : { maxAgeMs: this.maxAgeMs });
    const key = `${repoURL}\n${revision}`;
    // One set at a time per repository and revision: two would each acquire, and one tree would leak.
    const held = await this.mutex.run(key, async () => {
      const previous = this.held.get(key);
      if (previous && previous.tree.commit === resolved.commit) return previous;
      const tree = await this.source.acquireTree(repoURL, resolved.commit);
      const next = { tree, listing: walk(tree.dir) };
      this.held.set(key, next);
      await previous?.tree.release();
      return next;
    });
    const { tree } = held;
    const { directories, files } = await held.listing;
    const known = new Set(files);
    return {
      directories,
      files,
      read: async (file) => {
        if (!known.has(file)) throw new Error(`${file}: not a file of the repository`);
        return fs.readFile(path.join(tree.dir, file), "utf8");
      },
    };
  }

  async releaseAll(): Promise<void> {
    const all = [...this.held.values()];
    this.held.clear();
    for (const held of all) await held.tree.release().catch(() => undefined);
  }
}
