// Writes kubeconfig files with the certificates embedded, so a kubeconfig can be copied or
// printed without dangling file references.
import fs from "node:fs/promises";
import { stringify } from "yaml";
import type { CertPair } from "./pki.js";

async function b64(file: string): Promise<string> {
  return (await fs.readFile(file)).toString("base64");
}

export async function writeKubeconfig(
  file: string,
  opts: { server: string; caFile: string; client: CertPair; user: string; clusterName?: string },
): Promise<void> {
  const cluster = opts.clusterName ?? "tether-local";
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: cluster,
        cluster: { server: opts.server, "certificate-authority-data": await b64(opts.caFile) },
      },
    ],
    users: [
      {
        name: opts.user,
        user: {
          "client-certificate-data": await b64(opts.client.cert),
          "client-key-data": await b64(opts.client.key),
        },
      },
    ],
    contexts: [{ name: cluster, context: { cluster, user: opts.user } }],
    "current-context": cluster,
  };
  await fs.writeFile(file, stringify(doc), { mode: 0o600 });
}
