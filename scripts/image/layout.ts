// The OCI image layout (image-spec v1.1): oci-layout, index.json and blobs/sha256/<hex>. The
// config and manifest are plain values built here from the layers; writing them is the only I/O.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Layer } from "./layer.js";

export const MEDIA_TYPES = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageSettings {
  user: string;
  entrypoint: string[];
  env: string[];
  workingDir: string;
  labels: Record<string, string>;
  /** RFC 3339; the commit time, so the config is the same for the same commit. */
  created?: string;
}

export function imageConfig(settings: ImageSettings, layers: readonly Layer[]) {
  return {
    ...(settings.created ? { created: settings.created } : {}),
    architecture: "amd64",
    os: "linux",
    config: {
      User: settings.user,
      Entrypoint: settings.entrypoint,
      Env: settings.env,
      WorkingDir: settings.workingDir,
      Labels: settings.labels,
    },
    rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((layer) => ({
      ...(settings.created ? { created: settings.created } : {}),
      created_by: `tether scripts/image: ${layer.name} layer`,
    })),
  };
}

export function blobOf(content: Buffer, mediaType: string): Descriptor & { content: Buffer } {
  const digest = `sha256:${createHash("sha256").update(content).digest("hex")}`;
  return { mediaType, digest, size: content.length, content };
}

export function imageManifest(
  config: Descriptor,
  layers: readonly Layer[],
  annotations: Record<string, string>,
) {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({ mediaType: MEDIA_TYPES.layer, digest: layer.digest, size: layer.size })),
    annotations,
  };
}

export function blobPath(layoutDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(":");
  if (algorithm !== "sha256" || !hex || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`bad digest ${digest}`);
  return path.join(layoutDir, "blobs", "sha256", hex);
}

export interface WrittenImage {
  dir: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: Layer[];
}

/**
 * Writes a fresh layout at `dir` (built beside it and swapped in, so a reader never sees a mix of
 * two builds). Layer blobs are hard-linked from the cache when they share a filesystem.
 */
export async function writeLayout(
  dir: string,
  settings: ImageSettings,
  layers: Layer[],
  refName: string,
): Promise<WrittenImage> {
  const temp = `${dir}.${process.pid}.partial`;
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(path.join(temp, "blobs", "sha256"), { recursive: true });
  for (const layer of layers) {
    const target = blobPath(temp, layer.digest);
    await fs.link(layer.file, target).catch(() => fs.copyFile(layer.file, target));
  }
  const config = blobOf(Buffer.from(JSON.stringify(imageConfig(settings, layers))), MEDIA_TYPES.config);
  const annotations = Object.fromEntries(
    Object.entries(settings.labels).filter(([key]) => key.startsWith("org.opencontainers.image.")),
  );
  const manifest = blobOf(
    Buffer.from(JSON.stringify(imageManifest(config, layers, annotations))),
    MEDIA_TYPES.manifest,
  );
  for (const blob of [config, manifest]) await fs.writeFile(blobPath(temp, blob.digest), blob.content);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [
      {
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture: "amd64", os: "linux" },
        annotations: { "org.opencontainers.image.ref.name": refName },
      },
    ],
  };
  await fs.writeFile(path.join(temp, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
  await fs.writeFile(path.join(temp, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(temp, dir);
  const strip = ({ mediaType, digest, size }: Descriptor): Descriptor => ({ mediaType, digest, size });
  return { dir, manifest: strip(manifest), config: strip(config), layers };
}
