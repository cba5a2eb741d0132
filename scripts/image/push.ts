// Pushes an OCI layout's image to a registry with the distribution API over plain HTTP (meant for
// a registry on localhost or a cluster-internal one): each blob is skipped when the registry
// already has it (HEAD), else uploaded with POST + PUT ?digest=; the manifest goes last, by tag.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { withRetries } from "./download.js";
import type { Descriptor } from "./layout.js";
import { MEDIA_TYPES, blobPath } from "./layout.js";

export interface ImageReference {
  /** host[:port] */
  registry: string;
  repository: string;
  tag: string;
}

/** "localhost:5000/tether:0.1.0" → its parts; the registry part is required (no Docker Hub). */
export function parseReference(reference: string): ImageReference {
  const match = /^([^/]+)\/([a-z0-9]+(?:[._/-][a-z0-9]+)*):([\w][\w.-]{0,127})$/.exec(reference);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw new Error(
      `--push ${reference}: expected REGISTRY/REPOSITORY:TAG, e.g. localhost:5000/tether:0.1.0`,
    );
  }
  return { registry: match[1], repository: match[2], tag: match[3] };
}

async function checked(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
  return res;
}

async function pushBlob(
  base: string,
  repository: string,
  file: string,
  digest: string,
  log: (line: string) => void,
) {
  const head = await fetch(`${base}/v2/${repository}/blobs/${digest}`, { method: "HEAD" });
  if (head.ok) return false;
  await withRetries(
    `uploading ${digest}`,
    async () => {
      const what = `push ${repository} blob ${digest}`;
      const started = await checked(
        await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: "POST" }),
        what,
      );
      const location = new URL(started.headers.get("location") ?? "", base);
      location.searchParams.set("digest", digest);
      const size = (await stat(file)).size;
      await checked(
        await fetch(location, {
          method: "PUT",
          body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
          headers: { "content-type": "application/octet-stream", "content-length": String(size) },
          duplex: "half",
        }),
        what,
      );
    },
    { log, attempts: 3 },
  );
  return true;
}

/** Pushes the layout's manifest and its blobs; returns the manifest digest the registry reports. */
export async function pushLayout(
  layoutDir: string,
  manifest: Descriptor,
  reference: ImageReference,
  log: (line: string) => void,
): Promise<string> {
  const base = `http://${reference.registry}`;
  const manifestBytes = await readFile(blobPath(layoutDir, manifest.digest));
  const parsed = JSON.parse(manifestBytes.toString("utf8")) as { config: Descriptor; layers: Descriptor[] };
  let uploaded = 0;
  for (const blob of [...parsed.layers, parsed.config]) {
    if (await pushBlob(base, reference.repository, blobPath(layoutDir, blob.digest), blob.digest, log))
      uploaded += 1;
  }
  const res = await checked(
    await fetch(`${base}/v2/${reference.repository}/manifests/${reference.tag}`, {
      method: "PUT",
      body: manifestBytes,
      headers: { "content-type": MEDIA_TYPES.manifest },
    }),
    `push ${reference.repository}:${reference.tag} manifest`,
  );
  const digest = res.headers.get("docker-content-digest") ?? manifest.digest;
  if (digest !== manifest.digest) {
    throw new Error(`registry stored the manifest as ${digest}, expected ${manifest.digest}`);
  }
  log(
    `pushed ${reference.registry}/${reference.repository}:${reference.tag} (${uploaded} new blobs of ${parsed.layers.length + 1}) ${digest}`,
  );
  return digest;
}
