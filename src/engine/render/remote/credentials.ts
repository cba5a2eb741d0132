// What a renderer must not hold. `tether renderer` checks itself at startup and refuses to run
// when it can read a cluster credential: a Deployment edited to mount the service-account token
// into the renderer container, or a child started with the controller's environment, fails loudly
// instead of quietly giving hostile repositories a path to the keys.
import { constants } from "node:fs";
import fs from "node:fs/promises";

/** Where Kubernetes and the cloud providers' workload identities put a pod's tokens. */
export const TOKEN_FILES: readonly string[] = [
  "/var/run/secrets/kubernetes.io/serviceaccount/token",
  "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
  "/var/run/secrets/azure/tokens/azure-identity-token",
  "/var/run/secrets/tokens/gcp-ksa/token",
];

/** Variable names that carry credentials (kubeconfig, tokens, passwords, keys). */
const CREDENTIAL_VARIABLE =
  /^KUBECONFIG$|TOKEN|PASSWORD|PASSWD|SECRET|PRIVATE_KEY|CREDENTIAL|AGE_KEY|SOPS_AGE|^SSH_AUTH_SOCK$/i;

/** Each credential this process could use, as a short description (empty: none). */
export async function heldCredentials(env: NodeJS.ProcessEnv): Promise<string[]> {
  const held = Object.keys(env)
    .filter((name) => CREDENTIAL_VARIABLE.test(name))
    .map((name) => `environment variable ${name}`);
  for (const file of TOKEN_FILES) {
    const readable = await fs.access(file, constants.R_OK).then(
      () => true,
      () => false,
    );
    if (readable) held.push(`readable token file ${file}`);
  }
  return held;
}
