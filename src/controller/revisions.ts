// Revision resolution shared by every app: a (repository, targetRevision) pair is resolved at
// most once per poll interval however many apps use it, concurrent asks share one call, and a
// repository is listed (ls-remote) at most once per interval whatever revisions its apps follow.
// A refresh request bypasses both, but refreshes are coalesced too: one that arrives while a call is
// in flight cannot use that call's answer (it may predate the push being refreshed for), so it
// waits for the next call, which every refresh arriving meanwhile shares. A storm of webhooks thus
// costs at most one listing in flight and one queued per revision, and none misses its push.
import type { HelmRepositoryCache, RepositoryCache, ResolvedRevision } from "../engine/source/index.js";
import { chartRevision } from "../engine/source/index.js";
import type { ApplicationSource, ApplicationStatus } from "../model/application.js";

/**
 * Whether an app must see Git as it is now instead of an answer cached for another app within the
 * poll interval: its spec changed since the last reconcile (a new app has no observed generation
 * at all), or it has not yet been compared at the revision its source names (a changed repoURL,
 * targetRevision, path or chart, or every attempt so far failed). Without this an app created
 * right after a push resolves the branch to the commit before the push and reports "path does
 * not exist" until the next poll. Once compared, the app follows Git at the poll interval again.
 */
export function mustResolveFresh(input: {
  readonly previous: ApplicationStatus;
  readonly generation: number | undefined;
  readonly source: ApplicationSource;
}): boolean {
  const { previous, generation, source } = input;
  if (previous.observedGeneration === undefined || previous.observedGeneration !== generation) return true;
  const compared = previous.sync?.comparedTo;
  if (!compared) return true;
  const identity = (s: ApplicationSource) => [s.repoURL, s.targetRevision ?? "", s.path ?? "", s.chart ?? ""];
  return identity(compared).some((part, i) => part !== identity(source)[i]);
}

export class RevisionResolver {
  private readonly resolved = new Map<string, { at: number; value: ResolvedRevision }>();
  private readonly inFlight = new Map<string, Promise<ResolvedRevision>>();
  /** The call that starts when the in-flight one ends, shared by the refreshes asked meanwhile. */
  private readonly nextRefresh = new Map<string, Promise<ResolvedRevision>>();

  constructor(
    private readonly source: Pick<RepositoryCache, "resolve">,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    /** Charts in Helm repositories; a chart source fails without it. */
    private readonly charts?: Pick<HelmRepositoryCache, "resolve">,
  ) {}

  /** `chart`: a chart in the Helm repository at `repoURL` (isHelmRepositorySource), else Git. */
  async resolve(
    repoURL: string,
    targetRevision: string | undefined,
    refresh: boolean,
    chart?: string,
  ): Promise<ResolvedRevision> {
    const key = `${repoURL}\n${targetRevision ?? "HEAD"}${chart === undefined ? "" : `\n${chart}`}`;
    const cached = this.resolved.get(key);
    if (!refresh && cached && this.now() - cached.at < this.maxAgeMs) return cached.value;
    const call = () => {
      // Without a refresh, a listing of the repository made for another app in this interval will do.
      const options = refresh ? {} : { maxAgeMs: this.maxAgeMs };
      const started = this.resolveOnce(repoURL, targetRevision, options, chart).finally(() => {
        if (this.inFlight.get(key) === started) this.inFlight.delete(key);
      });
      this.inFlight.set(key, started);
      return started;
    };
    const current = this.inFlight.get(key);
    let pending: Promise<ResolvedRevision>;
    if (!current) pending = call();
    else if (!refresh) pending = current;
    else {
      let next = this.nextRefresh.get(key);
      if (!next) {
        next = current
          .catch(() => undefined)
          .then(() => {
            this.nextRefresh.delete(key);
            return call();
          });
        this.nextRefresh.set(key, next);
      }
      pending = next;
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

  private async resolveOnce(
    repoURL: string,
    targetRevision: string | undefined,
    options: { maxAgeMs?: number },
    chart: string | undefined,
  ): Promise<ResolvedRevision> {
    if (chart === undefined) return this.source.resolve(repoURL, targetRevision, options);
    if (!this.charts) throw new Error("this controller was started without a Helm repository source");
    const resolved = await this.charts.resolve(repoURL, chart, targetRevision, options);
    return chartRevision(resolved.chart, repoURL, resolved.fetched);
  }
}
