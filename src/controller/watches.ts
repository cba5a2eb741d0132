// Watches on the kinds Tether manages: one informer per apiVersion+kind, shared by every app,
// filtered to this installation's label, started when the first app needs the kind and stopped
// when the last one lets it go. Events on a tracked object wake the app that owns it; the caches
// give reconcile the live objects without a GET per object.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConfig } from "../kube/connection.js";
import { MANAGED_LABEL } from "../model/contract.js";
import { Informer } from "../kube/informer.js";
import type { ResourceClient } from "../kube/resources.js";
import { collectionPath } from "../kube/resources.js";
import type { AppKey } from "../engine/prune/ownership.js";
import { trackedApp } from "../engine/prune/ownership.js";

export interface KindRef {
  readonly apiVersion: string;
  readonly kind: string;
}

const kindKey = (k: KindRef) => `${k.apiVersion}/${k.kind}`;
const objKey = (o: KubernetesObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

interface WatchedKind {
  readonly ref: KindRef;
  readonly informer: Informer;
  readonly users: Set<AppKey>;
  readonly started: Promise<void>;
}

export class ManagedWatches {
  private readonly kinds = new Map<string, WatchedKind>();
  private readonly kindsOfApp = new Map<AppKey, Set<string>>();
  /** Set by `stop`: no informer is started after it (a reconcile may still be in discovery). */
  private stopped = false;

  constructor(
    private readonly options: {
      readonly config: KubeConfig;
      readonly resources: ResourceClient;
      readonly installationId: string;
      /** Called for every add/change/delete of an object that names an app. */
      readonly onAppObjectEvent: (app: AppKey, object: KubernetesObject, type: string) => void;
      readonly onError?: (kind: string, error: unknown) => void;
    },
  ) {}

  /** Makes sure every kind is watched for `app` (caches synced); lets go of kinds it no longer uses. */
  async track(app: AppKey, kinds: readonly KindRef[]): Promise<void> {
    const wanted = new Set(kinds.map(kindKey));
    const previous = this.kindsOfApp.get(app) ?? new Set<string>();
    this.kindsOfApp.set(app, wanted);
    await Promise.all(kinds.map((k) => this.watch(k, app)));
    for (const key of previous) if (!wanted.has(key)) this.unuse(key, app);
  }

  release(app: AppKey): void {
    for (const key of this.kindsOfApp.get(app) ?? []) this.unuse(key, app);
    this.kindsOfApp.delete(app);
  }

  /** The cached live object, or undefined when it does not exist (the kind must be tracked). */
  get(ref: KindRef & { namespace?: string; name: string }): KubernetesObject | undefined {
    const watched = this.kinds.get(kindKey(ref));
    if (!watched) throw new Error(`internal: ${kindKey(ref)} is not watched`);
    return watched.informer.get(ref.namespace, ref.name);
  }

  /** Every cached object (of the app's tracked kinds) whose tracking annotation names `app` (indexed: no scan). */
  ownedBy(app: AppKey): KubernetesObject[] {
    const found: KubernetesObject[] = [];
    for (const key of this.kindsOfApp.get(app) ?? []) {
      const watched = this.kinds.get(key);
      if (!watched) continue;
      found.push(...watched.informer.byIndex(app));
    }
    return found;
  }

  get watchedKinds(): string[] {
    return [...this.kinds.keys()].sort();
  }

  stop(): void {
    this.stopped = true;
    for (const watched of this.kinds.values()) watched.informer.stop();
    this.kinds.clear();
    this.kindsOfApp.clear();
  }

  private async watch(ref: KindRef, app: AppKey): Promise<void> {
    const key = kindKey(ref);
    let watched = this.kinds.get(key);
    if (!watched) {
      const info = await this.options.resources.info(ref.apiVersion, ref.kind);
      // Stopped during discovery: an informer started now would never be stopped, and would retry
      // against its cluster (gone, in a test) for as long as the process lives.
      if (this.stopped) throw new Error(`watches of ${key} stopped`);
      const labelSelector = `${MANAGED_LABEL}=${this.options.installationId}`;
      const informer = new Informer({
        config: this.options.config,
        path: collectionPath(info),
        labelSelector,
        indexBy: (object) => trackedApp(object),
        list: () => this.options.resources.listWithVersion(ref.apiVersion, ref.kind, labelSelector),
        onEvent: (type, object) => {
          // Watch events carry no apiVersion/kind on some paths; the informer's kind is authoritative.
          const full = { ...object, apiVersion: ref.apiVersion, kind: ref.kind };
          const owner = trackedApp(full);
          if (owner) this.options.onAppObjectEvent(owner, full, type);
        },
        onError: (error) => this.options.onError?.(key, error),
      });
      const existing = this.kinds.get(key);
      if (existing) {
        watched = existing;
      } else {
        watched = { ref, informer, users: new Set(), started: informer.start() };
        this.kinds.set(key, watched);
      }
    }
    watched.users.add(app);
    try {
      await watched.started;
    } catch (error) {
      // A failed first list: forget the informer so the next reconcile tries again.
      if (this.kinds.get(key) === watched) {
        watched.informer.stop();
        this.kinds.delete(key);
      }
      throw error;
    }
  }

  private unuse(key: string, app: AppKey): void {
    const watched = this.kinds.get(key);
    if (!watched) return;
    watched.users.delete(app);
    if (watched.users.size === 0) {
      watched.informer.stop();
      this.kinds.delete(key);
    }
  }
}

export { objKey as cachedObjectKey };
