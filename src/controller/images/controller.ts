// The image automation loops, one work queue for the three kinds (keys `Kind:namespace/name`):
//   ImageRepository        scan the registry's tags every interval → in-memory tag list + status
//   ImagePolicy            latest tag of its repository's list      → status.latestImage
//   ImageUpdateAutomation  write the policies' choices into Git      → status.lastPushCommit
// A change downstream is pushed along at once: a scan that changes the tags queues the policies
// on that repository; a policy whose choice changes queues the automations of its namespace.
// Tags live in memory (like Flux's badger database, but not persisted): after a restart every
// repository is scanned first and policies wait for it (DependencyNotReady), so nothing is decided
// from stale data.
import type { KubeConfig } from "../../kube/connection.js";
import type { Condition } from "../../model/application.js";
import type { ImageKind, ImagePolicy, ImageRepository, ImageUpdateAutomation } from "../../model/images.js";
import type { ImageErrorReason, PolicyChoice, PolicyRef } from "../../engine/images/index.js";
import {
  DEFAULT_MESSAGE_TEMPLATE,
  excludeTags,
  ImageError,
  parseImageName,
  registryCredentials,
  selectLatestTag,
} from "../../engine/images/index.js";
import type { SecretLike } from "../../engine/source/credentials.js";
import { pickCredentials } from "../../engine/source/credentials.js";
import { setCondition } from "../../engine/status/conditions.js";
import type { KubeClients } from "../../kube/client.js";
import { kubeErrorMessage, errorStatus } from "../../kube/client.js";
import type { QueueResult } from "../queue.js";
import { WorkQueue } from "../queue.js";
import { runGitUpdate } from "./gitupdate.js";
import { RegistryClient } from "./registry.js";
import { ImageStore, objectKey } from "./store.js";
import { errorMessage } from "../../lib/errormessage.js";
import { requireDuration } from "../../lib/duration.js";

const DEFAULT_INTERVAL_MS = 5 * 60_000;
const MIN_INTERVAL_MS = 1_000;

export interface ImageAutomationOptions {
  readonly config: KubeConfig;
  readonly clients: KubeClients;
  readonly namespace?: string;
  /** Repository Secrets (tether-system), the same the source stage uses for Git credentials. */
  readonly gitCredentials: () => Promise<readonly SecretLike[]>;
  readonly clock?: () => Date;
  readonly log?: (line: string) => void;
  readonly gitTimeoutMs?: number;
  readonly registryTimeoutMs?: number;
  /** Called before each push attempt of an automation (tests race a competing push here). */
  readonly beforePush?: (automation: string, attempt: number) => Promise<void>;
}

interface ScanState {
  readonly tags: readonly string[];
  readonly image: string;
}

function failure(error: unknown): { reason: ImageErrorReason; message: string } {
  if (error instanceof ImageError) return { reason: error.reason, message: error.message };
  return { reason: "UpdateFailed", message: errorMessage(error) };
}

export class ImageAutomation {
  readonly queue: WorkQueue;
  private readonly repositories: ImageStore<"ImageRepository">;
  private readonly policies: ImageStore<"ImagePolicy">;
  private readonly automations: ImageStore<"ImageUpdateAutomation">;
  private readonly scans = new Map<string, ScanState>();
  private readonly clock: () => Date;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ImageAutomationOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.queue = new WorkQueue({
      workers: 2,
      handler: (key) => this.reconcile(key),
      onError: (key, error) =>
        this.log(`image automation ${key} failed (will retry): ${kubeErrorMessage(error)}`),
    });
    const store = <K extends ImageKind>(kind: K) =>
      new ImageStore(options.clients, kind, {
        config: options.config,
        namespace: options.namespace,
        onChange: (key, deleted) => {
          if (deleted && kind === "ImageRepository") this.scans.delete(key);
          this.queue.add(`${kind}:${key}`);
        },
        onError: (error) => this.log(`watch ${kind}: ${String(error)}`),
      });
    this.repositories = store("ImageRepository");
    this.policies = store("ImagePolicy");
    this.automations = store("ImageUpdateAutomation");
  }

  async start(): Promise<void> {
    await Promise.all([this.repositories.start(), this.policies.start(), this.automations.start()]);
  }

  async stop(): Promise<void> {
    this.repositories.stop();
    this.policies.stop();
    this.automations.stop();
    this.queue.stop();
    await this.queue.idle();
  }

  private reconcile(key: string): Promise<QueueResult | void> {
    const colon = key.indexOf(":");
    const kind = key.slice(0, colon);
    const objectName = key.slice(colon + 1);
    if (kind === "ImageRepository") return this.reconcileRepository(objectName);
    if (kind === "ImagePolicy") return this.reconcilePolicy(objectName);
    return this.reconcileAutomation(objectName);
  }

  private conditions(
    previous: Condition[] | undefined,
    ready: boolean,
    reason: string,
    message: string,
  ): Condition[] {
    return setCondition(
      previous,
      { type: "Ready", status: ready ? "True" : "False", reason, message },
      this.clock(),
    );
  }

  /**
   * At least a second: "0s" (or "1ms", which the CRD pattern allows) rescanned the registry in a
   * loop, about 56 requests a second, until the object was deleted.
   */
  private interval(text: string | undefined, field: string): number {
    return text ? requireDuration(field, text, MIN_INTERVAL_MS) : DEFAULT_INTERVAL_MS;
  }

  // ---- ImageRepository ------------------------------------------------------------------------

  private async registryCredentials(repo: ImageRepository, registry: string) {
    const ref = repo.spec.secretRef?.name;
    if (!ref) return undefined;
    const namespace = repo.metadata.namespace ?? "";
    let secret: SecretLike;
    try {
      secret = await this.options.clients.core.readNamespacedSecret({ name: ref, namespace });
    } catch (error) {
      const what = errorStatus(error) === 404 ? "not found" : kubeErrorMessage(error);
      throw new ImageError("AuthenticationFailed", `spec.secretRef: Secret ${namespace}/${ref}: ${what}`);
    }
    const found = registryCredentials(secret, registry);
    if ("error" in found) throw new ImageError("AuthenticationFailed", found.error);
    return found.credentials;
  }

  private async reconcileRepository(key: string): Promise<QueueResult | void> {
    const repo = this.repositories.get(key);
    if (!repo) return;
    const status = { ...repo.status, observedGeneration: repo.metadata.generation };
    let requeueAfterMs = DEFAULT_INTERVAL_MS;
    try {
      requeueAfterMs = this.interval(repo.spec.interval, "spec.interval");
      if (repo.spec.suspend) {
        status.conditions = this.conditions(status.conditions, true, "Suspended", "scanning is suspended");
        await this.repositories.writeStatus(repo, status);
        return;
      }
      const name = parseImageName(repo.spec.image);
      const timeoutMs = repo.spec.timeout
        ? requireDuration("spec.timeout", repo.spec.timeout)
        : this.options.registryTimeoutMs;
      const client = new RegistryClient(name, {
        insecure: repo.spec.insecure,
        credentials: await this.registryCredentials(repo, name.registry),
        timeoutMs,
      });
      let tags: string[];
      try {
        tags = excludeTags(await client.listTags(), repo.spec.exclusionList);
      } catch (error) {
        if (error instanceof ImageError) throw error;
        throw new ImageError("InvalidSpec", (error as Error).message);
      }
      const previous = this.scans.get(key);
      const state = { tags, image: repo.spec.image };
      this.scans.set(key, state);
      const now = this.clock().toISOString();
      status.canonicalImageName = `${name.registry}/${name.repository}`;
      status.lastScanResult = {
        tagCount: tags.length,
        scanTime: now,
        latestTags: [...tags].sort().reverse().slice(0, 10),
      };
      status.conditions = this.conditions(
        status.conditions,
        true,
        "Succeeded",
        `successful scan of ${status.canonicalImageName}: ${tags.length} tags`,
      );
      await this.repositories.writeStatus(repo, status);
      const changed =
        !previous || previous.image !== state.image || previous.tags.join("\n") !== tags.join("\n");
      if (changed) this.queueDependents("ImagePolicy", (p) => this.repositoryKeyOf(p) === key);
    } catch (error) {
      const { reason, message } = failure(error);
      status.conditions = this.conditions(status.conditions, false, reason, message);
      await this.repositories.writeStatus(repo, status);
      // A policy waiting on this repository shows why.
      this.queueDependents("ImagePolicy", (p) => this.repositoryKeyOf(p) === key);
    }
    return { requeueAfterMs };
  }

  private repositoryKeyOf(policy: ImagePolicy): string {
    const ref = policy.spec.imageRepositoryRef;
    return `${ref?.namespace ?? policy.metadata.namespace ?? ""}/${ref?.name ?? ""}`;
  }

  private queueDependents(kind: "ImagePolicy" | "ImageUpdateAutomation", match: (o: never) => boolean): void {
    const store = kind === "ImagePolicy" ? this.policies : this.automations;
    for (const object of store.list()) {
      // One object of the wrong shape (stored under an older CRD) stops no other from being queued.
      try {
        if (match(object as never)) this.queue.add(`${kind}:${objectKey(object)}`);
      } catch (error) {
        this.log(`${kind} ${objectKey(object)}: skipped: ${kubeErrorMessage(error)}`);
      }
    }
  }

  // ---- ImagePolicy ----------------------------------------------------------------------------

  private async reconcilePolicy(key: string): Promise<QueueResult | void> {
    const policy = this.policies.get(key);
    if (!policy) return;
    const status = { ...policy.status, observedGeneration: policy.metadata.generation };
    const repoKey = this.repositoryKeyOf(policy);
    const repo = this.repositories.get(repoKey);
    const scan = this.scans.get(repoKey);
    const before = status.latestImage;
    if (!repo || !scan) {
      const why = !repo
        ? `ImageRepository ${repoKey} not found`
        : `ImageRepository ${repoKey} has no scan yet${repo.status?.conditions?.find((c) => c.type === "Ready" && c.status === "False") ? `: ${repo.status.conditions.find((c) => c.type === "Ready")?.message ?? ""}` : ""}`;
      status.conditions = this.conditions(status.conditions, false, "DependencyNotReady", why);
      await this.policies.writeStatus(policy, status);
      return;
    }
    const decision = selectLatestTag(scan.tags, policy.spec);
    status.tagCount = scan.tags.length;
    status.lastEvaluatedAt = this.clock().toISOString();
    if (decision.ok) {
      const image = `${scan.image}:${decision.tag}`;
      if (before && before !== image) status.previousImage = before;
      status.latestImage = image;
      status.latestTag = decision.tag;
      status.conditions = this.conditions(
        status.conditions,
        true,
        "Succeeded",
        `latest image tag for ${scan.image} resolved to ${decision.tag} (${decision.candidates} of ${scan.tags.length} tags match)`,
      );
    } else {
      status.conditions = this.conditions(
        status.conditions,
        false,
        decision.reason,
        `ImagePolicy ${key}: ${decision.message}`,
      );
    }
    await this.policies.writeStatus(policy, status);
    if (status.latestImage !== before) {
      if (status.latestImage) this.log(`ImagePolicy ${key}: ${before ?? "(none)"} -> ${status.latestImage}`);
      const ns = policy.metadata.namespace;
      this.queueDependents(
        "ImageUpdateAutomation",
        (a: ImageUpdateAutomation) => a.metadata.namespace === ns,
      );
    }
  }

  // ---- ImageUpdateAutomation ------------------------------------------------------------------

  /** The policy's current choice, from the cache; only policies in the automation's namespace count. */
  private choose(namespace: string, ref: PolicyRef): PolicyChoice | undefined {
    if (ref.namespace !== namespace) return undefined;
    const status = this.policies.get(`${ref.namespace}/${ref.name}`)?.status;
    const tag = status?.latestTag;
    const image = status?.latestImage;
    if (!tag || !image?.endsWith(`:${tag}`)) return undefined;
    return { name: image.slice(0, -(tag.length + 1)), tag };
  }

  private async reconcileAutomation(key: string): Promise<QueueResult | void> {
    const automation = this.automations.get(key);
    if (!automation) return;
    const spec = automation.spec;
    const status = { ...automation.status, observedGeneration: automation.metadata.generation };
    let requeueAfterMs = DEFAULT_INTERVAL_MS;
    try {
      requeueAfterMs = this.interval(spec.interval, "spec.interval");
      if (spec.suspend) {
        status.conditions = this.conditions(status.conditions, true, "Suspended", "automation is suspended");
        await this.automations.writeStatus(automation, status);
        return;
      }
      const strategy: string = spec.update?.strategy ?? "Setters";
      if (strategy !== "Setters") {
        throw new ImageError("InvalidSpec", `spec.update.strategy "${strategy}": only Setters is supported`);
      }
      const namespace = automation.metadata.namespace ?? "";
      const checkoutBranch = spec.git?.checkout?.ref?.branch ?? spec.sourceRef.branch ?? "main";
      const result = await runGitUpdate({
        url: spec.sourceRef.url,
        credentials: pickCredentials(spec.sourceRef.url, await this.options.gitCredentials()),
        checkoutBranch,
        pushBranch: spec.git?.push?.branch ?? checkoutBranch,
        path: spec.update?.path ?? ".",
        author: spec.git.commit.author,
        messageTemplate: spec.git.commit.messageTemplate ?? DEFAULT_MESSAGE_TEMPLATE,
        automation: key,
        choose: (ref) => this.choose(namespace, ref),
        timeoutMs: this.options.gitTimeoutMs,
        beforePush:
          this.options.beforePush &&
          ((attempt) => this.options.beforePush?.(key, attempt) ?? Promise.resolve()),
      });
      const now = this.clock().toISOString();
      status.lastAutomationRunTime = now;
      status.lastHandledCommit = result.pushed ?? result.base;
      const skipped =
        result.problems.length > 0
          ? `; ${result.problems.length} marker(s) skipped, e.g. ${result.problems[0]?.file}:${result.problems[0]?.line}: ${result.problems[0]?.message}`
          : "";
      if (result.pushed) {
        const count = result.files.reduce((n, f) => n + f.changes.length, 0);
        status.lastPushCommit = result.pushed;
        status.lastPushTime = now;
        status.lastPushImages = [
          ...new Set(result.files.flatMap((f) => f.changes.map((c) => c.newValue))),
        ].sort();
        status.conditions = this.conditions(
          status.conditions,
          true,
          "Succeeded",
          `pushed commit ${result.pushed.slice(0, 12)} to branch ${spec.git?.push?.branch ?? checkoutBranch}: ${count} change(s) in ${result.files.length} file(s)${result.attempts > 1 ? ` after ${result.attempts} attempts` : ""}${skipped}`,
        );
        this.log(
          `ImageUpdateAutomation ${key}: pushed ${result.pushed}${result.attempts > 1 ? ` after ${result.attempts} attempts` : ""}`,
        );
      } else {
        status.conditions = this.conditions(
          status.conditions,
          true,
          "Succeeded",
          `no updates made: every marked field is current at ${result.base.slice(0, 12)}${skipped}`,
        );
      }
    } catch (error) {
      const { reason, message } = failure(error);
      status.lastAutomationRunTime = this.clock().toISOString();
      status.conditions = this.conditions(status.conditions, false, reason, message);
    }
    await this.automations.writeStatus(automation, status);
    return { requeueAfterMs };
  }
}
