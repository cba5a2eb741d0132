// Forge webhooks: the payload of each forge (GitHub, GitLab, Gitea/Forgejo, Bitbucket Cloud) and
// the headers verifyWebhook reads. Seeds are the real deliveries in testdata/webhooks, mutated.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parsePushEvent, verifyWebhook, WebhookError } from "../../src/api/webhooks/index.js";
import type { WebhookProvider } from "../../src/api/webhooks/index.js";
import { hostileJsonText, hostileString, mutationsOf, nastyWord } from "./arbitraries.js";
import { DEFAULT_LIMIT_MS, expect, type FuzzProperty, guarded } from "./guard.js";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/webhooks");
const payload = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));

const FORGES: readonly { provider: WebhookProvider; events: string[]; seeds: string[]; what: string }[] = [
  { provider: "github", events: ["push", "ping", "PUSH "], seeds: ["github-push.json"], what: "GitHub" },
  {
    provider: "gitlab",
    events: ["Push Hook", "Tag Push Hook", "System Hook"],
    seeds: ["gitlab-push.json", "gitlab-tag-push.json"],
    what: "GitLab",
  },
  {
    provider: "gitea",
    events: ["push", "delete"],
    seeds: ["gitea-push.json", "gitea-delete.json"],
    what: "Gitea",
  },
  { provider: "bitbucket", events: ["repo:push"], seeds: ["bitbucket-push.json"], what: "Bitbucket" },
];

// `GitHub push payload: field "after" is not a commit id`, `…: the body is not valid JSON`.
const NAMES_FIELD = /payload: (field "[^"]+"|the body )|payload: push\.changes\[\d+\]/;

function webhookProperty(forge: (typeof FORGES)[number]): FuzzProperty {
  const body = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...forge.seeds.map(payload))
        .chain(mutationsOf)
        .map((v) => JSON.stringify(v)),
    },
    { weight: 1, arbitrary: hostileJsonText },
  );
  return {
    name: `webhook: ${forge.what} push payload`,
    quickRuns: 150,
    target: "parsePushEvent (src/api/webhooks/parse.ts)",
    limitMs: DEFAULT_LIMIT_MS,
    property: () =>
      fc.property(fc.constantFrom(...forge.events), body, (event, text) => {
        const parsed = guarded(
          DEFAULT_LIMIT_MS,
          () => parsePushEvent(forge.provider, event, text),
          (error) => {
            if (!(error instanceof WebhookError)) return "threw something other than WebhookError";
            if (error.status !== 400) return `status ${error.status}, not 400`;
            if (!NAMES_FIELD.test(error.message)) return "the message names no field";
            return undefined;
          },
        );
        for (const push of parsed && "pushes" in parsed ? parsed.pushes : []) {
          expect(
            /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(push.after),
            `after ${push.after} is not a commit id`,
          );
          expect(push.ref.startsWith("refs/"), `ref ${push.ref} is not a full ref`);
          expect(
            push.repoURLs.length > 0 && push.repoURLs.every((u) => typeof u === "string"),
            "no repo URLs",
          );
        }
        return true;
      }),
  };
}

const headerValue = fc.oneof(hostileString, fc.array(hostileString, { maxLength: 3 }));
const headerName = fc.oneof(
  fc.constantFrom(
    "x-github-event",
    "x-hub-signature-256",
    "x-gitlab-event",
    "x-gitlab-token",
    "x-gitea-event",
    "x-gitea-signature",
    "x-forgejo-event",
    "x-event-key",
    "x-hub-signature",
    "x-github-delivery",
  ),
  nastyWord,
);

const verifyProperty: FuzzProperty = {
  name: "webhook: delivery headers and signatures",
  quickRuns: 500,
  target: "verifyWebhook (src/api/webhooks/verify.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
      fc.uint8Array({ maxLength: 256 }),
      fc.record({ github: hostileString, gitlab: hostileString, gitea: hostileString }, { requiredKeys: [] }),
      (headers, body, secrets) => {
        guarded(
          DEFAULT_LIMIT_MS,
          () => verifyWebhook({ headers, body: Buffer.from(body), secrets }),
          (error) => {
            if (!(error instanceof WebhookError)) return "threw something other than WebhookError";
            if (!/header|secret|webhook/i.test(error.message)) return "the message names no header";
            return undefined;
          },
        );
        return true;
      },
    ),
};

export const WEBHOOK_PROPERTIES: readonly FuzzProperty[] = [...FORGES.map(webhookProperty), verifyProperty];
