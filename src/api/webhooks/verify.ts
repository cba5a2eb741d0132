// Who sent a webhook delivery, and may we believe it? Pure: headers and raw body in, a
// VerifiedWebhook or a WebhookError out. The raw bytes are what the forge signed, so verification
// must run on them before any JSON parsing.
//
// Rules (docs: the security bad-input table should list them):
// - Body over MAX_WEBHOOK_BODY_BYTES (1 MiB) → 413. Checked first, before any hashing. The HTTP shell
//   should stop reading at this size too; this check is the backstop for whatever buffer it hands us.
// - No recognised event header → 400.
// - Secret configured for the provider: a missing or wrong signature/token → 401.
// - No secret configured for the provider while another provider has one → 401 (no cross-forge bypass).
// - No secret configured at all (absent or empty strings): accepted with `verified: false`, as Argo CD does.
//   That is safe only because a push merely *triggers a refresh*: Tether then reads Git itself and
//   never trusts the payload's commit or files, so a forged delivery costs one reconcile. Anything
//   that acts on payload content must require `verified`.
// - Comparisons are constant-time: HMACs are compared as decoded digests of fixed length, plain
//   tokens (GitLab) as SHA-256 digests of both sides, so neither content nor length leaks.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { WebhookError } from "./errors.js";
import type { VerifiedWebhook, WebhookHeaders, WebhookProvider, WebhookSecrets } from "./types.js";

export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** Reads one header case-insensitively; a header repeated as an array is refused (which one was signed?). */
function header(headers: WebhookHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === "string") return value.trim();
    if (value.length === 1) return value[0]?.trim();
    throw new WebhookError(400, `header ${name} is repeated`);
  }
  return undefined;
}

interface Detected {
  provider: WebhookProvider;
  eventName: string;
  deliveryId: string | undefined;
  /** Signature headers to look for, in order of preference (all carry the same HMAC). */
  signatureHeaders: readonly string[];
}

// Order matters: Forgejo also sends X-Gitea-*, and Gitea/Forgejo also send X-GitHub-Event and
// X-Hub-Signature-256 for GitHub-compatible receivers, so the most specific header wins.
function detect(headers: WebhookHeaders): Detected {
  const forgejo = header(headers, "X-Forgejo-Event");
  if (forgejo) {
    return {
      provider: "gitea",
      eventName: forgejo,
      deliveryId: header(headers, "X-Forgejo-Delivery") ?? header(headers, "X-Gitea-Delivery"),
      signatureHeaders: ["X-Forgejo-Signature", "X-Gitea-Signature", "X-Hub-Signature-256"],
    };
  }
  const gitea = header(headers, "X-Gitea-Event");
  if (gitea) {
    return {
      provider: "gitea",
      eventName: gitea,
      deliveryId: header(headers, "X-Gitea-Delivery"),
      signatureHeaders: ["X-Gitea-Signature", "X-Hub-Signature-256"],
    };
  }
  const gitlab = header(headers, "X-Gitlab-Event");
  if (gitlab) {
    return {
      provider: "gitlab",
      eventName: gitlab,
      deliveryId: header(headers, "X-Gitlab-Event-UUID"),
      signatureHeaders: ["X-Gitlab-Token"],
    };
  }
  const github = header(headers, "X-GitHub-Event");
  if (github) {
    return {
      provider: "github",
      eventName: github,
      deliveryId: header(headers, "X-GitHub-Delivery"),
      // Only SHA-256: the legacy SHA-1 X-Hub-Signature is not accepted.
      signatureHeaders: ["X-Hub-Signature-256"],
    };
  }
  const bitbucket = header(headers, "X-Event-Key");
  if (bitbucket) {
    return {
      provider: "bitbucket",
      eventName: bitbucket,
      deliveryId: header(headers, "X-Request-UUID"),
      signatureHeaders: ["X-Hub-Signature"],
    };
  }
  throw new WebhookError(
    400,
    "unrecognised webhook: none of X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event, X-Forgejo-Event, X-Event-Key is set",
  );
}

/** HMAC-SHA256 of body under secret equals the hex digest given, compared in constant time. */
export function hmacSha256Matches(secret: string, body: Buffer, givenHex: string): boolean {
  // A well-formed digest has a fixed, public length; anything else cannot match.
  if (!/^[0-9a-fA-F]{64}$/.test(givenHex)) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(givenHex, "hex"));
}

/** Plain shared token equality without leaking content or length: compare SHA-256 digests. */
export function tokenMatches(secret: string, given: string): boolean {
  const a = createHash("sha256").update(secret, "utf8").digest();
  const b = createHash("sha256").update(given, "utf8").digest();
  return timingSafeEqual(a, b);
}

function signatureMatches(
  provider: WebhookProvider,
  name: string,
  value: string,
  secret: string,
  body: Buffer,
) {
  if (provider === "gitlab") return tokenMatches(secret, value);
  // X-Gitea-Signature / X-Forgejo-Signature are bare hex; the GitHub-style headers carry "sha256=".
  const lower = name.toLowerCase();
  if (lower === "x-gitea-signature" || lower === "x-forgejo-signature") {
    return hmacSha256Matches(secret, body, value);
  }
  if (!value.startsWith("sha256=")) return false;
  return hmacSha256Matches(secret, body, value.slice("sha256=".length));
}

export interface VerifyWebhookInput {
  headers: WebhookHeaders;
  body: Buffer;
  secrets: WebhookSecrets;
}

/** Identifies the provider and checks the delivery's signature or token; see the rules above. */
export function verifyWebhook({ headers, body, secrets }: VerifyWebhookInput): VerifiedWebhook {
  if (body.length > MAX_WEBHOOK_BODY_BYTES) {
    throw new WebhookError(
      413,
      `webhook body is ${body.length} bytes; the limit is ${MAX_WEBHOOK_BODY_BYTES} bytes (1 MiB)`,
    );
  }
  const found = detect(headers);
  const base = {
    provider: found.provider,
    eventName: found.eventName,
    ...(found.deliveryId ? { deliveryId: found.deliveryId } : {}),
  };
  const secret = secrets[found.provider];
  if (secret === undefined || secret === "") {
    // Once any forge has a secret, the operator has asked for signed deliveries: a delivery that
    // names a forge without one is refused, or a GitHub-only setup would be bypassed by sending
    // the same body with X-Gitea-Event (hostile testing).
    const configured = Object.entries(secrets).filter(
      ([, value]) => typeof value === "string" && value !== "",
    );
    if (configured.length > 0) {
      const names = configured.map(([provider]) => provider).join(", ");
      throw new WebhookError(
        401,
        `${found.provider} webhook: no secret is configured for ${found.provider} (there is one for ${names}); once any forge has a secret, deliveries of a forge without one are refused`,
      );
    }
    return { ...base, verified: false };
  }

  for (const name of found.signatureHeaders) {
    const value = header(headers, name);
    if (value === undefined) continue;
    if (!signatureMatches(found.provider, name, value, secret, body)) {
      throw new WebhookError(
        401,
        `${found.provider} webhook: header ${name} does not match the configured secret`,
      );
    }
    return { ...base, verified: true };
  }
  throw new WebhookError(
    401,
    `${found.provider} webhook: a secret is configured but the delivery has no ${found.signatureHeaders.join(" or ")} header`,
  );
}
