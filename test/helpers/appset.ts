// ApplicationSets in a controller test file's namespace: create, read, patch, delete, wait on the
// set's status, and list the Applications it generated (by the set's label).
import { PatchStrategy } from "@kubernetes/client-node";
import { waitFor } from "../../src/lib/wait.js";
import type { Application } from "../../src/model/application.js";
import type { ApplicationSet, ApplicationSetSpec } from "../../src/model/applicationset.js";
import { APPSET_LABEL } from "../../src/model/contract.js";
import type { ControllerFixture } from "./app.js";
import { APP_GROUP } from "./app.js";
import { clients } from "./environment.js";

export const APPSET_GROUP = { group: "tether.dev", version: "v1alpha1", plural: "applicationsets" } as const;

export function appSets(fx: ControllerFixture) {
  const namespace = fx.appNs;
  const read = async (name: string) =>
    (await clients().custom.getNamespacedCustomObject({
      ...APPSET_GROUP,
      namespace,
      name,
    })) as ApplicationSet;
  const generated = async (name: string) => {
    const list = (await clients().custom.listNamespacedCustomObject({
      ...APP_GROUP,
      namespace,
      labelSelector: `${APPSET_LABEL}=${name}`,
    })) as { items: Application[] };
    return list.items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  };
  const explain = async (name: string, error: Error) => {
    const status = await read(name).then(
      (s) => JSON.stringify(s.status, null, 1),
      (e: Error) => e.message,
    );
    const apps = await generated(name).then(
      (l) =>
        l
          .map(
            (a) =>
              `${a.metadata.name}: ${a.status?.sync?.status}/${a.status?.health?.status} ${JSON.stringify(a.status?.conditions ?? [])}`,
          )
          .join("\n"),
      () => "",
    );
    return new Error(`${error.message}\nset status: ${status}\napps:\n${apps}\nlog:\n${fx.lines.join("\n")}`);
  };
  return {
    read,
    generated,
    async create(name: string, spec: ApplicationSetSpec): Promise<ApplicationSet> {
      return (await clients().custom.createNamespacedCustomObject({
        ...APPSET_GROUP,
        namespace,
        body: {
          apiVersion: "tether.dev/v1alpha1",
          kind: "ApplicationSet",
          metadata: { name, namespace },
          spec,
        },
      })) as ApplicationSet;
    },
    /** Merge patch of the set, as `kubectl patch --type merge`. */
    async patch(name: string, patch: Record<string, unknown>): Promise<void> {
      await clients().objects.patch(
        {
          apiVersion: "tether.dev/v1alpha1",
          kind: "ApplicationSet",
          ...patch,
          metadata: { ...(patch["metadata"] as object | undefined), name, namespace },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    },
    async remove(name: string): Promise<void> {
      await clients().custom.deleteNamespacedCustomObject({ ...APPSET_GROUP, namespace, name });
    },
    /** Waits until `check` holds for the set; on timeout shows its status, its apps and the log. */
    async wait(
      name: string,
      what: string,
      check: (set: ApplicationSet) => boolean,
      timeoutMs = 60_000,
    ): Promise<ApplicationSet> {
      return waitFor(
        `${name}: ${what}`,
        async () => {
          const set = await read(name);
          return check(set) ? set : undefined;
        },
        { timeoutMs },
      ).catch(async (error: Error) => {
        throw await explain(name, error);
      });
    },
    /** Waits until the set's generated apps satisfy `check`. */
    async waitApps(
      name: string,
      what: string,
      check: (apps: Application[]) => boolean,
      timeoutMs = 60_000,
    ): Promise<Application[]> {
      return waitFor(
        `${name}: ${what}`,
        async () => {
          const apps = await generated(name);
          return check(apps) ? apps : undefined;
        },
        { timeoutMs },
      ).catch(async (error: Error) => {
        throw await explain(name, error);
      });
    },
  };
}

export const names = (apps: readonly Application[]) => apps.map((a) => a.metadata.name);
export const allSyncedHealthy = (apps: readonly Application[]) =>
  apps.every((a) => a.status?.sync?.status === "Synced" && a.status.health?.status === "Healthy");

export const setCondition = (set: ApplicationSet, type: string) =>
  set.status?.conditions?.find((c) => c.type === type);
