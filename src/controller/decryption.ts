// The age keys an Application decrypts SOPS manifests with: `spec.decryption.secretRef` names a
// Secret in the Application's own namespace (as Flux's Kustomization does), so whoever may create
// Applications in a namespace can use only the keys kept there. Read at every render, so a rotated
// or removed Secret takes effect at once (the render cache key holds the public recipients).
import { RenderError } from "../engine/errors.js";
import { sopsKeysFromSecretData, type SopsKeys } from "../engine/render/sops/keys.js";
import type { ResourceClient } from "../kube/resources.js";
import type { Application } from "../model/application.js";
import { errorMessage } from "../lib/errormessage.js";

export async function decryptionKeys(
  resources: Pick<ResourceClient, "read">,
  app: Application,
): Promise<SopsKeys | undefined> {
  const ref = app.spec.decryption;
  if (!ref) return undefined;
  const namespace = app.metadata.namespace ?? "default";
  const shown = `${namespace}/${ref.secretRef.name}`;
  const secret = (await resources.read({
    apiVersion: "v1",
    kind: "Secret",
    namespace,
    name: ref.secretRef.name,
  })) as { data?: Record<string, string> } | undefined;
  if (!secret)
    throw new RenderError("DecryptionFailed", `spec.decryption.secretRef: Secret ${shown} not found`);
  let keys: SopsKeys;
  try {
    keys = await sopsKeysFromSecretData(shown, secret.data);
  } catch (error) {
    throw new RenderError("DecryptionFailed", `spec.decryption.secretRef: ${errorMessage(error)}`);
  }
  if (keys.identities.length === 0) {
    throw new RenderError(
      "DecryptionFailed",
      `spec.decryption.secretRef: Secret ${shown} has no data entry ending in .agekey with an age identity`,
    );
  }
  return keys;
}
