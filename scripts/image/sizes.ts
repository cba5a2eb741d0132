// The size report `npm run image` prints: per layer and in total, uncompressed (what the node's
// disk holds) and compressed (what a pull transfers).
import type { Layer } from "./layer.js";

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

export function describeSizes(layers: readonly Layer[]): string {
  const rows = layers.map(
    (layer) =>
      `  ${layer.name.padEnd(8)} ${mb(layer.uncompressedSize).padStart(9)} ${mb(layer.size).padStart(9)}`,
  );
  const total = (pick: (layer: Layer) => number) => layers.reduce((sum, layer) => sum + pick(layer), 0);
  const uncompressed = total((layer) => layer.uncompressedSize);
  const compressed = total((layer) => layer.size);
  return [
    `  layer    uncompressed compressed`,
    ...rows,
    `image size: ${mb(uncompressed)} uncompressed, ${mb(compressed)} compressed`,
  ].join("\n");
}
