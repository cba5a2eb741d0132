// Revision resolution shared by every app: a (repository, targetRevision) pair is resolved at
// most once per poll interval however many apps use it, concurrent asks share one call, and a
// repository is listed (ls-remote) at most once per interval whatever revisions its apps follow.
// A refresh request bypasses both.
import type { RepositoryCache, ResolvedRevision } from "../engine/source/index.js";

export class RevisionResolver {
  private readonly resolved = new Map<string, { at: number; value: ResolvedRevision }>();
  private readonly inFlight = new Map<string, Promise<ResolvedRevision>>();

  constructor(
    private readonly source: RepositoryCache,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(
    repoURL: string,
    targetRevision: string | undefined,
    refresh: boolean,
  ): Promise<ResolvedRevision> {
    const key = `${repoURL}\n${targetRevision ?? "HEAD"}`;
    const cached = this.resolved.get(key);
    if (!refresh && cached && this.now() - cached.at < this.maxAgeMs) return cached.value;
    let pending = this.inFlight.get(key);
    if (!pending) {
      // Without a refresh, a listing of the repository made for another app in this interval will do.
      const options = refresh ? {} : { maxAgeMs: this.maxAgeMs };
      pending = this.source
        .resolve(repoURL, targetRevision, options)
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    try {
      const value = await pending;
      this.resolved.set(key, { at: this.now(), value });
      return value;
    } catch (error) {
      // After a failure nothing cached may stand in for Git: every reconcile asks again until Git
      // answers, so an outage stays visible instead of being hidden by an older answer.
      this.resolved.delete(key);
      throw error;
    }
  }
}
