// The source stage: Git repository URL + targetRevision → commit, and commit → read-only file tree;
// for a chart in a Helm repository, chart + targetRevision → version, and version → chart tree.
export type {
  RepositoryCache,
  RepositoryCacheOptions,
  RepositoryCacheStats,
  ResolvedRevision,
} from "./cache.js";
export { createRepositoryCache } from "./cache.js";
export type { RepoCredentials, SecretLike } from "./credentials.js";
export { pickCredentials } from "./credentials.js";
export type { GitRunner } from "./mirror.js";
export type { SourceTree } from "./trees.js";
export type { TreeEntry } from "./treelisting.js";
export type { RepoUrl } from "./url.js";
export { mirrorKey, normalizeRepoUrl, parseRepoUrl } from "./url.js";
export { selectSemverTag } from "./revision.js";
export { parseLsRemote } from "./lsremote.js";
export type { HelmRepositoryCache, HelmRepositoryOptions, ResolvedChart } from "./helmrepo/index.js";
export {
  createHelmRepositoryCache,
  chartRevision,
  chartRenderSource,
  isHelmRepositorySource,
} from "./helmrepo/index.js";
