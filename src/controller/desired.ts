// From rendered objects to what Tether will apply: namespaced objects get the destination
// namespace, cluster-scoped ones lose a stray namespace, every object gets the ownership marks,
// and an object rendered twice is an error naming both sources.
import type { KubernetesObject } from "@kubernetes/client-node";
import { RenderError } from "../engine/errors.js";
import { type AppKey, resourceSyncOptionProblems, withOwnershipMarks } from "../engine/prune/ownership.js";
import { type KubeObject, groupOf, objectKey } from "../model/ref.js";
import type { RenderedObject } from "../engine/render/index.js";
import { type ResourceClient, UnknownKindError } from "../kube/resources.js";
import { errorMessage } from "../lib/errormessage.js";

export interface DesiredObject {
  readonly key: string;
  readonly object: KubernetesObject & KubeObject;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly sourceFile: string;
  /** SOPS-decrypted content: apiserver errors about it lose every value, as for a Secret. */
  readonly sensitive?: boolean;
  /**
   * Its kind is defined by a CRD of this same render that the server does not serve yet: it cannot
   * be watched or read before the sync applies the CRD, so it is compared as missing.
   */
  readonly kindPending?: boolean;
}

/** Scope of kinds whose CRD is in the same render (the server cannot know them yet). */
function scopesFromRenderedCrds(rendered: readonly RenderedObject[]): Map<string, boolean> {
  const scopes = new Map<string, boolean>();
  for (const { object } of rendered) {
    if (object.kind !== "CustomResourceDefinition") continue;
    const spec = object["spec"] as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.group && spec.names?.kind)
      scopes.set(`${spec.group}/${spec.names.kind}`, spec.scope === "Namespaced");
  }
  return scopes;
}

export async function prepareDesired(input: {
  readonly app: AppKey;
  readonly installationId: string;
  readonly namespace: string;
  readonly rendered: readonly RenderedObject[];
  readonly resources: ResourceClient;
}): Promise<DesiredObject[]> {
  const crdScopes = scopesFromRenderedCrds(input.rendered);
  const seen = new Map<string, string>();
  const out: DesiredObject[] = [];
  for (const { object: raw, sourceFile, decrypted } of input.rendered) {
    const apiVersion = raw.apiVersion;
    const kind = raw.kind;
    let namespaced: boolean;
    let kindPending = false;
    try {
      namespaced = (await input.resources.info(apiVersion, kind)).namespaced;
    } catch (error) {
      const fromRender = crdScopes.get(`${groupOf(apiVersion)}/${kind}`);
      if (!(error instanceof UnknownKindError) || fromRender === undefined) {
        const name = typeof raw.metadata["name"] === "string" ? raw.metadata["name"] : "";
        throw new RenderError("InvalidManifest", `${kind} ${name} (${sourceFile}): ${errorMessage(error)}`);
      }
      namespaced = fromRender;
      kindPending = true;
    }
    const metadata = { ...raw.metadata } as Record<string, unknown>;
    if (namespaced) metadata["namespace"] = metadata["namespace"] || input.namespace;
    else delete metadata["namespace"];
    const placed = { ...raw, metadata } as unknown as KubeObject;
    const object = withOwnershipMarks(placed, input.app, input.installationId) as KubernetesObject &
      KubeObject;
    const key = objectKey(object);
    const previous = seen.get(key);
    const name = typeof metadata["name"] === "string" ? metadata["name"] : "";
    const ns = metadata["namespace"] as string | undefined;
    if (previous !== undefined) {
      throw new RenderError(
        "InvalidManifest",
        `${kind} ${ns ? `${ns}/` : ""}${name} is rendered twice: in ${previous} and in ${sourceFile}`,
      );
    }
    const optionProblem = resourceSyncOptionProblems(object)[0];
    if (optionProblem !== undefined) {
      const where = `${kind} ${ns ? `${ns}/` : ""}${name} (${sourceFile})`;
      throw new RenderError("InvalidManifest", `${where}: ${optionProblem}`);
    }
    seen.set(key, sourceFile);
    out.push({
      key,
      object,
      apiVersion,
      kind,
      namespace: ns,
      name,
      sourceFile,
      ...(decrypted ? { sensitive: true } : {}),
      ...(kindPending ? { kindPending: true } : {}),
    });
  }
  return out;
}
