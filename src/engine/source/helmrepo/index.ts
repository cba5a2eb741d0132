// Charts from Helm HTTP repositories as a source: index → version → verified archive → tree.
export type { HelmRepositoryCache, HelmRepositoryOptions, ResolvedChart } from "./repository.js";
export { createHelmRepositoryCache, helmRepositoryBase } from "./repository.js";
export { resolveChartVersion, chartArchiveUrl } from "./chart-version.js";
export { parseIndexEntries } from "./index-entries.js";
export { readTarEntries, unsafeEntryPath } from "./tar-entries.js";
export { chartRevision, chartRenderSource, isHelmRepositorySource } from "./revision.js";
export { chartBlockRanges, parseIndexEntriesByChart } from "./index-chunks.js";
