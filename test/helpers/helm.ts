// The environment for the helm the tests run themselves (package, index, push): its cache, config
// and data under the test's own folder, away from the user's.
import path from "node:path";

export function isolatedHelmEnv(root: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: root,
    HELM_CACHE_HOME: path.join(root, "helm/cache"),
    HELM_CONFIG_HOME: path.join(root, "helm/config"),
    HELM_DATA_HOME: path.join(root, "helm/data"),
  };
}
