// The engine's ResourceWriter (src/engine/apply/writer.ts) over the destination cluster's client.
// The client handed in is already fenced (sharding): every apply, replace and delete it makes
// throws FencedError once this replica may no longer write for the app, and that error stops the
// whole sync instead of becoming one object's failure.
import type { ResourceWriter } from "../../engine/apply/writer.js";
import { kubeErrorMessage as errorMessage, errorStatus } from "../../kube/client.js";
import { FIELD_MANAGER } from "../../model/contract.js";
import type { ResourceClient } from "../../kube/resources.js";
import { waitFor } from "../../lib/wait.js";
import { FencedError } from "../sharding/fence.js";

export function resourceWriter(resources: ResourceClient): ResourceWriter {
  return {
    apply: (object, options) => resources.apply(object, options),
    replace: (object, options) => resources.replace(object, options),
    read: (ref) => resources.read(ref),
    remove: (ref, propagationPolicy) => resources.remove(ref, propagationPolicy),
    waitEstablished: async (name) => {
      await waitFor(
        `CustomResourceDefinition ${name} to be Established`,
        async () => {
          const crd = (await resources.read({
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            name,
          })) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
          return (
            crd?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
          );
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
