// HTTP(S) health probes for control-plane processes (etcd /health, apiserver /readyz, …).
import fs from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { CertPair } from "./pki.js";

export interface TlsProbe {
  readonly ca: string;
  readonly client?: CertPair;
}

/** GETs `url`; resolves the status and body, or rejects on connection errors. */
export async function probe(
  url: string,
  tls?: TlsProbe,
  timeoutMs = 5_000,
): Promise<{ status: number; body: string }> {
  const options: https.RequestOptions = { timeout: timeoutMs };
  if (tls) {
    options.ca = await fs.readFile(tls.ca);
    if (tls.client) {
      options.cert = await fs.readFile(tls.client.cert);
      options.key = await fs.readFile(tls.client.key);
    }
  }
  const get = url.startsWith("https:") ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const request = get(url, options, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

/** A check for waitFor(): true once `url` answers 200. */
export function answers200(url: string, tls?: TlsProbe): () => Promise<boolean> {
  return async () => (await probe(url, tls)).status === 200;
}
