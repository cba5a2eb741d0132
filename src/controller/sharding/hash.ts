// Which replica holds which application: rendezvous (highest-random-weight) hashing. Every replica
// computes the same answer from the same member set, with no table to agree on; when one member
// joins or leaves, only the keys it wins or held move (~1/N of them), unlike `hash mod N`.
import { createHash } from "node:crypto";
import type { Application } from "../../model/application.js";

/** What apps are spread by: each app on its own, or every app of one destination cluster together. */
export type ShardKeyMode = "app" | "cluster";

/** A member's weight for a key: the first 8 bytes of sha256(member, key), stable across versions. */
export function weight(member: string, key: string): bigint {
  // The NUL separator keeps ("ab","c") and ("a","bc") apart.
  return createHash("sha256").update(`${member}\0${key}`).digest().readBigUInt64BE(0);
}

/** The member that holds `key`: the highest weight, ties (astronomically rare) to the smaller id. */
export function assign(key: string, members: readonly string[]): string | undefined {
  let best: { id: string; w: bigint } | undefined;
  for (const id of members) {
    const w = weight(id, key);
    if (!best || w > best.w || (w === best.w && id < best.id)) best = { id, w };
  }
  return best?.id;
}

/**
 * The key an app is spread by. `cluster` keeps all apps of one destination on one replica (one set
 * of watches per cluster); an app without a destination falls back to its own key.
 */
export function shardKey(app: Pick<Application, "metadata" | "spec">, mode: ShardKeyMode): string {
  const own = `${app.metadata.namespace ?? ""}/${app.metadata.name}`;
  if (mode === "app") return own;
  const d = app.spec?.destination;
  const server = typeof d?.server === "string" ? d.server.replace(/\/+$/, "") : "";
  if (server) return `server:${server}`;
  return typeof d?.name === "string" && d.name ? `name:${d.name}` : own;
}
