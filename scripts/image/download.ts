// Downloads for the image build: retried with backoff on network errors and 5xx answers, checked
// against a digest the caller got from signed or registry metadata, and cached atomically (a temp
// file renamed into place) so an interrupted build never leaves a half-written file that a later
// build would trust. A cached file is re-verified before use.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/** An expected digest in Subresource Integrity form ("sha512-<base64>"), as npm publishes it. */
export type Integrity = `sha${"256" | "384" | "512"}-${string}`;

export async function fileIntegrity(file: string, algorithm: "sha256" | "sha384" | "sha512") {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `${algorithm}-${hash.digest("base64")}`;
}

async function matches(file: string, integrity: Integrity): Promise<boolean> {
  const algorithm = integrity.slice(0, integrity.indexOf("-")) as "sha256" | "sha384" | "sha512";
  try {
    return (await fileIntegrity(file, algorithm)) === integrity;
  } catch {
    return false;
  }
}

export interface RetryOptions {
  attempts?: number;
  /** First backoff; doubles per attempt. */
  backoffMs?: number;
  log?: (line: string) => void;
}

/** Runs `attempt` until it succeeds or `attempts` are used; waits with exponential backoff between. */
export async function withRetries<T>(what: string, attempt: () => Promise<T>, options: RetryOptions = {}) {
  const attempts = options.attempts ?? 5;
  let backoff = options.backoffMs ?? 1_000;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= attempts || (error as { permanent?: boolean }).permanent) throw error;
      options.log?.(`${what} failed (attempt ${n}/${attempts}): ${(error as Error).message}; retrying`);
      // A backoff, not a test sleep: the remote end needs time to recover.
      await delay(backoff);
      backoff *= 2;
    }
  }
}

class PermanentError extends Error {
  readonly permanent = true;
}

/**
 * Returns `file`, downloading `url` into it unless it already holds bytes matching `integrity`.
 * A mismatch after download is an error (not retried: the source itself is wrong).
 */
export async function cachedDownload(
  url: string,
  file: string,
  integrity: Integrity,
  options: RetryOptions = {},
): Promise<string> {
  if (await matches(file, integrity)) return file;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.partial`;
  try {
    await withRetries(
      `downloading ${url}`,
      async () => {
        const res = await fetch(url, { signal: AbortSignal.timeout(600_000) });
        if (!res.ok || !res.body) {
          const error = new Error(`GET ${url}: HTTP ${res.status}`);
          throw res.status >= 500 || res.status === 429 ? error : new PermanentError(error.message);
        }
        await fs.writeFile(temp, res.body);
      },
      options,
    );
    if (!(await matches(temp, integrity))) {
      throw new Error(`${url}: downloaded bytes do not match ${integrity} (published integrity)`);
    }
    await fs.rename(temp, file);
    return file;
  } finally {
    await fs.rm(temp, { force: true });
  }
}
