// verifyWebhook + parsePushEvent against fixtures in testdata/webhooks, modeled on each forge's
// documented payloads and headers. Signatures are computed here over the fixture bytes, so the
// fixtures stay readable JSON.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { PushEvent, WebhookHeaders, WebhookSecrets } from "../../src/api/webhooks/index.js";
import {
  MAX_WEBHOOK_BODY_BYTES,
  parsePushEvent,
  verifyWebhook,
  WebhookError,
  ZERO_SHA,
} from "../../src/api/webhooks/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/webhooks");
const SECRETS: WebhookSecrets = {
  github: "gh-s3cret",
  gitlab: "gl-t0ken",
  gitea: "gt-s3cret",
  bitbucket: "bb-s3cret",
};
const AFTER = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

function body(name: string): Buffer {
  return fs.readFileSync(path.join(root, `${name}.json`));
}
function headers(name: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(root, `${name}.headers.json`), "utf8")) as Record<
    string,
    string
  >;
}
function hmac(secret: string, data: Buffer): string {
  return createHmac("sha256", secret).update(data).digest("hex");
}
/** Headers as the forge would send them with its secret. */
function signed(fixture: string, data: Buffer, headerFile = fixture): Record<string, string> {
  const h = headers(headerFile);
  if (h["X-Gitlab-Event"]) return { ...h, "X-Gitlab-Token": SECRETS.gitlab ?? "" };
  if (h["X-Forgejo-Event"]) return { ...h, "X-Forgejo-Signature": hmac(SECRETS.gitea ?? "", data) };
  if (h["X-Gitea-Event"]) return { ...h, "X-Gitea-Signature": hmac(SECRETS.gitea ?? "", data) };
  if (h["X-Event-Key"]) return { ...h, "X-Hub-Signature": `sha256=${hmac(SECRETS.bitbucket ?? "", data)}` };
  return { ...h, "X-Hub-Signature-256": `sha256=${hmac(SECRETS.github ?? "", data)}` };
}
function pushes(fixture: string, headerFile = fixture): PushEvent[] {
  const data = body(fixture);
  const verified = verifyWebhook({
    headers: signed(fixture, data, headerFile),
    body: data,
    secrets: SECRETS,
  });
  assert.equal(verified.verified, true);
  const parsed = parsePushEvent(verified.provider, verified.eventName, data);
  assert.ok("pushes" in parsed, JSON.stringify(parsed));
  return parsed.pushes;
}
function rejects(status: number, run: () => unknown, message?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof WebhookError, String(error));
    assert.equal(error.status, status, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

test("GitHub push: signed delivery → one push with URLs, ref, after, default branch and changed files", () => {
  assert.deepEqual(pushes("github-push"), [
    {
      provider: "github",
      repoURLs: [
        "https://github.com/acme/platform.git",
        "git@github.com:acme/platform.git",
        "git://github.com/acme/platform.git",
        "https://github.com/acme/platform",
      ],
      ref: "refs/heads/main",
      branch: "main",
      after: AFTER,
      defaultBranch: "main",
      changedPaths: ["apps/frontend/deployment.yaml", "apps/frontend/old-config.yaml", "docs/rollout.md"],
      deleted: false,
    },
  ]);
});

test("GitLab push and tag push: project URLs; a new tag has no trustworthy file list", () => {
  const [push] = pushes("gitlab-push");
  assert.equal(push?.provider, "gitlab");
  assert.deepEqual(push?.repoURLs, [
    "https://gitlab.example.com/acme/platform.git",
    "git@gitlab.example.com:acme/platform.git",
    "https://gitlab.example.com/acme/platform",
  ]);
  assert.deepEqual(push?.changedPaths, ["apps/backend/deployment.yaml", "apps/backend/hpa.yaml"]);
  assert.equal(push?.defaultBranch, "main");
  const [tag] = pushes("gitlab-tag-push");
  assert.equal(tag?.ref, "refs/tags/v1.4.0");
  assert.equal(tag?.tag, "v1.4.0");
  assert.equal(tag?.branch, undefined);
  assert.equal(tag?.changedPaths, undefined);
});

test("Gitea and Forgejo push: own signature headers, GitHub-like payload", () => {
  for (const headerFile of ["gitea-push", "forgejo-push"]) {
    const [push] = pushes("gitea-push", headerFile);
    assert.equal(push?.provider, "gitea", headerFile);
    assert.deepEqual(push?.repoURLs, [
      "https://gitea.example.com/acme/platform.git",
      "ssh://git@gitea.example.com:2222/acme/platform.git",
      "https://gitea.example.com/acme/platform",
    ]);
    assert.deepEqual(push?.changedPaths, ["apps/frontend/ingress.yaml"]);
  }
  // Gitea also sends X-Hub-Signature-256 for GitHub-compatible receivers; that alone is accepted.
  const data = body("gitea-push");
  const verified = verifyWebhook({
    headers: { ...headers("gitea-push"), "X-Hub-Signature-256": `sha256=${hmac("gt-s3cret", data)}` },
    body: data,
    secrets: SECRETS,
  });
  assert.deepEqual(verified, {
    provider: "gitea",
    eventName: "push",
    deliveryId: "a8b1f0c2-58e4-4e1e-8a6d-0e9b2f3c4d5e",
    verified: true,
  });
});

test("Gitea delete event: the branch is reported as a deleted push", () => {
  assert.deepEqual(pushes("gitea-delete")[0], {
    provider: "gitea",
    repoURLs: [
      "https://gitea.example.com/acme/platform.git",
      "ssh://git@gitea.example.com:2222/acme/platform.git",
      "https://gitea.example.com/acme/platform",
    ],
    ref: "refs/heads/feature/login",
    branch: "feature/login",
    after: ZERO_SHA,
    defaultBranch: "main",
    changedPaths: undefined,
    deleted: true,
  });
});

test("Bitbucket Cloud push: one event per change, ssh URL derived, no file lists", () => {
  const events = pushes("bitbucket-push");
  assert.deepEqual(
    events.map((e) => [e.ref, e.after, e.deleted, e.changedPaths]),
    [
      ["refs/heads/main", AFTER, false, undefined],
      ["refs/tags/v1.4.0", AFTER, false, undefined],
      ["refs/heads/feature/login", ZERO_SHA, true, undefined],
    ],
  );
  assert.deepEqual(events[0]?.repoURLs, [
    "https://bitbucket.org/acme/platform",
    "git@bitbucket.org:acme/platform.git",
  ]);
  assert.equal(events[0]?.defaultBranch, undefined);
});

test("tampered body or wrong secret → 401 for every provider", () => {
  const cases = [
    ["github-push", "github-push"],
    ["gitlab-push", "gitlab-push"],
    ["gitea-push", "gitea-push"],
    ["gitea-push", "forgejo-push"],
    ["bitbucket-push", "bitbucket-push"],
  ] as const;
  for (const [fixture, headerFile] of cases) {
    const data = body(fixture);
    const h = signed(fixture, data, headerFile);
    const tampered = Buffer.from(data.toString("utf8").replace("acme/platform", "evil/platform"));
    if (fixture !== "gitlab-push") {
      // GitLab's token does not cover the body; the others' HMAC does.
      rejects(401, () => verifyWebhook({ headers: h, body: tampered, secrets: SECRETS }), /does not match/);
    }
    const wrong = { github: "x", gitlab: "x", gitea: "x", bitbucket: "x" };
    rejects(401, () => verifyWebhook({ headers: h, body: data, secrets: wrong }), /does not match/);
  }
});

test("wrong GitLab token, missing signature, malformed signature → 401", () => {
  const data = body("gitlab-push");
  const h = headers("gitlab-push");
  rejects(401, () =>
    verifyWebhook({ headers: { ...h, "X-Gitlab-Token": "gl-t0ke" }, body: data, secrets: SECRETS }),
  );
  rejects(401, () => verifyWebhook({ headers: h, body: data, secrets: SECRETS }), /no X-Gitlab-Token header/);
  const gh = body("github-push");
  const ghHeaders = headers("github-push");
  const good = hmac("gh-s3cret", gh);
  for (const signature of [
    good,
    `sha1=${good}`,
    `sha256=${good.slice(0, 62)}`,
    `sha256=${good}00`,
    "sha256=zz",
  ]) {
    rejects(401, () =>
      verifyWebhook({
        headers: { ...ghHeaders, "X-Hub-Signature-256": signature },
        body: gh,
        secrets: SECRETS,
      }),
    );
  }
  // Header names are case-insensitive, as Node lowercases them.
  const lower = Object.fromEntries(
    Object.entries(signed("github-push", gh)).map(([k, v]) => [k.toLowerCase(), v]),
  );
  assert.equal(verifyWebhook({ headers: lower, body: gh, secrets: SECRETS }).verified, true);
});

test("no secret configured at all → accepted, verified: false", () => {
  const data = body("github-push");
  const result = verifyWebhook({ headers: headers("github-push"), body: data, secrets: {} });
  assert.deepEqual(result, {
    provider: "github",
    eventName: "push",
    deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    verified: false,
  });
  assert.equal(
    verifyWebhook({ headers: headers("gitlab-push"), body: data, secrets: { gitlab: "" } }).verified,
    false,
  );
});

test("a forge without a secret while another has one → 401 (no cross-forge bypass)", () => {
  const data = body("github-push");
  // A GitHub body sent as Gitea, Forgejo or Bitbucket to a GitHub-only setup, unsigned.
  for (const extra of [{ "X-Gitea-Event": "push" }, { "X-Forgejo-Event": "push" }]) {
    assert.throws(
      () =>
        verifyWebhook({
          headers: { ...headers("github-push"), ...extra },
          body: data,
          secrets: { github: "s3cret" },
        }),
      (e: unknown) =>
        e instanceof WebhookError &&
        e.status === 401 &&
        /no secret is configured for gitea \(there is one for github\)/.test(e.message),
    );
  }
  assert.throws(
    () =>
      verifyWebhook({ headers: headers("github-push"), body: data, secrets: { gitlab: "other", gitea: "" } }),
    (e: unknown) => e instanceof WebhookError && e.status === 401,
  );
});

test("body over 1 MiB → 413 before anything else; exactly 1 MiB is accepted", () => {
  const big = Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 0x20);
  rejects(413, () => verifyWebhook({ headers: {}, body: big, secrets: SECRETS }), /1 MiB/);
  const limit = Buffer.alloc(MAX_WEBHOOK_BODY_BYTES, 0x20);
  assert.equal(
    verifyWebhook({ headers: headers("github-push"), body: limit, secrets: {} }).provider,
    "github",
  );
});

test("unknown sender or repeated header → 400", () => {
  const data = body("github-push");
  rejects(
    400,
    () => verifyWebhook({ headers: { "User-Agent": "curl/8" }, body: data, secrets: SECRETS }),
    /X-GitHub-Event/,
  );
  const repeated: WebhookHeaders = {
    "x-github-event": "push",
    "x-hub-signature-256": ["sha256=aa", "sha256=bb"],
  };
  rejects(400, () => verifyWebhook({ headers: repeated, body: data, secrets: SECRETS }), /repeated/);
});

test("malformed JSON or missing fields → 400 naming the field", () => {
  rejects(400, () => parsePushEvent("github", "push", "{not json"), /not valid JSON/);
  rejects(400, () => parsePushEvent("gitlab", "Push Hook", "[1,2]"), /not a JSON object/);
  const github = JSON.parse(body("github-push").toString("utf8")) as Record<string, unknown>;
  const without = (key: string) => JSON.stringify({ ...github, [key]: undefined });
  rejects(400, () => parsePushEvent("github", "push", without("ref")), /"ref" is missing/);
  rejects(400, () => parsePushEvent("github", "push", without("after")), /"after" is missing/);
  rejects(
    400,
    () => parsePushEvent("github", "push", without("repository")),
    /"repository.clone_url" is missing/,
  );
  rejects(
    400,
    () => parsePushEvent("github", "push", JSON.stringify({ ...github, after: "main" })),
    /"after" is not a commit id/,
  );
  rejects(
    400,
    () => parsePushEvent("github", "push", JSON.stringify({ ...github, ref: "main" })),
    /not a full ref/,
  );
  rejects(
    400,
    () => parsePushEvent("github", "push", JSON.stringify({ ...github, commits: {} })),
    /"commits" is not a list/,
  );
  rejects(
    400,
    () => parsePushEvent("github", "push", JSON.stringify({ ...github, commits: [{ added: [1] }] })),
    /"commits\[0\].added"/,
  );
  rejects(
    400,
    () => parsePushEvent("bitbucket", "repo:push", JSON.stringify({ push: {} })),
    /repository.links.html.href/,
  );
  const bitbucket = JSON.parse(body("bitbucket-push").toString("utf8")) as Record<string, unknown>;
  rejects(
    400,
    () => parsePushEvent("bitbucket", "repo:push", JSON.stringify({ ...bitbucket, push: {} })),
    /push.changes/,
  );
  rejects(
    400,
    () => parsePushEvent("gitea", "delete", JSON.stringify({ ref: "x", ref_type: "branch" })),
    /repository/,
  );
});

test("ping and non-push events are ignored, not errors", () => {
  const ping = body("github-ping");
  const verified = verifyWebhook({ headers: signed("github-ping", ping), body: ping, secrets: SECRETS });
  assert.deepEqual(parsePushEvent(verified.provider, verified.eventName, ping), { ignored: "GitHub ping" });
  assert.ok("ignored" in parsePushEvent("github", "issues", "{}"));
  assert.ok("ignored" in parsePushEvent("gitlab", "Merge Request Hook", "{}"));
  assert.ok(
    "ignored" in parsePushEvent("gitlab", "System Hook", JSON.stringify({ object_kind: "merge_request" })),
  );
  assert.ok("ignored" in parsePushEvent("gitea", "pull_request", "{}"));
  assert.ok("ignored" in parsePushEvent("bitbucket", "pullrequest:created", "{}"));
  // A non-push event is ignored even when its body would not parse: nothing reads it.
  assert.ok("ignored" in parsePushEvent("github", "issues", "{oops"));
});

test("changed files are unknown when the payload may not list them all", () => {
  const github = JSON.parse(body("github-push").toString("utf8")) as Record<string, unknown>;
  const parse = (payload: Record<string, unknown>, provider: "github" | "gitlab" | "gitea" = "github") => {
    const event = provider === "gitlab" ? "Push Hook" : "push";
    const parsed = parsePushEvent(provider, event, JSON.stringify(payload));
    assert.ok("pushes" in parsed);
    return parsed.pushes[0];
  };
  assert.equal(parse({ ...github, forced: true })?.changedPaths, undefined);
  assert.equal(parse({ ...github, created: true })?.changedPaths, undefined);
  assert.equal(parse({ ...github, commits: [] })?.changedPaths, undefined);
  assert.equal(parse({ ...github, commits: undefined })?.changedPaths, undefined);
  const many = Array.from({ length: 3000 }, (_, i) => `f${i}`);
  assert.equal(
    parse({ ...github, commits: [{ added: many, modified: [], removed: [] }] })?.changedPaths,
    undefined,
  );
  const deleted = parse({ ...github, deleted: true, after: ZERO_SHA, commits: [] });
  assert.deepEqual([deleted?.deleted, deleted?.after, deleted?.changedPaths], [true, ZERO_SHA, undefined]);
  const gitlab = JSON.parse(body("gitlab-push").toString("utf8")) as Record<string, unknown>;
  assert.equal(parse({ ...gitlab, total_commits_count: 21 }, "gitlab")?.changedPaths, undefined);
  const gitea = JSON.parse(body("gitea-push").toString("utf8")) as Record<string, unknown>;
  assert.equal(parse({ ...gitea, total_commits: 6 }, "gitea")?.changedPaths, undefined);
});
