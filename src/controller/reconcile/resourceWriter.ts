// The engine's ResourceWriter (src/engine/apply/writer.ts) over the destination cluster's client.
// The client handed in is already fenced (sharding): every apply, replace and delete it makes
// throws FencedError once this replica may no longer write for the app, and that error stops the
// whole sync instead of becoming one object's failure.
import type { ResourceWriter } from "../../engine/apply/writer.js";
import { kubeErrorMessage as errorMessage, errorStatus } from "../../kube/client.js";
import { FIELD_MANAGER } from "../../model/contract.js";
import { type ResourceClient, UnknownKindError } from "../../kube/resources.js";
import { waitFor } from "../../lib/wait.js";
import { FencedError } from "../sharding/fence.js";

interface EstablishedCrd {
  readonly spec?: {
    readonly group?: string;
    readonly names?: { readonly kind?: string };
    readonly versions?: readonly { readonly name: string; readonly served?: boolean }[];
  };
  readonly status?: { readonly conditions?: readonly { type: string; status: string }[] };
}

export function resourceWriter(resources: ResourceClient): ResourceWriter {
  return {
    apply: (object, options) => resources.apply(object, options),
    replace: (object, options) => resources.replace(object, options),
    read: (ref) => resources.read(ref),
    remove: (ref, propagationPolicy) => resources.remove(ref, propagationPolicy),
    // Established, and then served by discovery (which follows a moment later): the custom
    // resources of a later wave or kind order are applied through discovery's resource names.
    waitEstablished: async (name) => {
      const crd = await waitFor(
        `CustomResourceDefinition ${name} to be Established`,
        async () => {
          const live = (await resources.read({
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            name,
          })) as EstablishedCrd | undefined;
          const established = live?.status?.conditions?.some(
            (c) => c.type === "Established" && c.status === "True",
          );
          return established ? live : undefined;
        },
        { timeoutMs: 30_000 },
      );
      const { group, names, versions } = crd.spec ?? {};
      const served = (versions ?? []).filter((v) => v.served !== false);
      if (!group || !names?.kind) return;
      await waitFor(
        `the kind ${names.kind} of CustomResourceDefinition ${name} to be served`,
        async () => {
          for (const { name: version } of served) {
            try {
              await resources.info(`${group}/${version}`, names.kind ?? "");
            } catch (error) {
              if (error instanceof UnknownKindError) return false;
              throw error;
            }
          }
          return true;
        },
        { timeoutMs: 30_000 },
      );
    },
    fieldManager: FIELD_MANAGER,
    statusOf: errorStatus,
    messageOf: errorMessage,
    stopsRun: (error) => error instanceof FencedError,
  };
}
