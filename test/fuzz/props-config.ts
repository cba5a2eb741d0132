// ConfigMaps and image automation specs: the RBAC policy (tether-rbac), notification templates
// and config (tether-notifications), image references and tag policies.
import fc from "fast-check";
import { parsePolicy } from "../../src/api/auth/rbac-policy.js";
import { parseNotificationConfig } from "../../src/controller/notifications/config.js";
import { renderTemplate, unknownPlaceholders } from "../../src/controller/notifications/template.js";
import { excludeTags, selectLatestTag } from "../../src/engine/images/policy.js";
import { InvalidImageReference, parseImageReference } from "../../src/engine/images/reference.js";
import { hostileJson, hostileString, hostileYamlText, mutationsOf, nastyWord } from "./arbitraries.js";
import { DEFAULT_LIMIT_MS, expect, type FuzzProperty, guarded, neverThrows, onlyError } from "./guard.js";
import { semverRange } from "./props-source.js";

const policy = {
  defaultRole: "readonly",
  roles: [
    { name: "dev", rules: [{ actions: ["get", "sync"], projects: ["team-*"], applications: ["team-a/*"] }] },
  ],
  bindings: [{ role: "dev", users: ["alice"], groups: ["g"] }],
};

const rbacProperty: FuzzProperty = {
  name: "auth: RBAC policy text",
  quickRuns: 100,
  target: "parsePolicy (src/api/auth/rbac-policy.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.oneof(
        mutationsOf(policy).map((v) => JSON.stringify(v)),
        hostileYamlText,
      ),
      (text) => {
        const result = guarded(DEFAULT_LIMIT_MS, () => parsePolicy(text), neverThrows);
        if (result && !result.ok) {
          expect(result.issues.length > 0, "refused without an issue");
          for (const issue of result.issues)
            expect(
              issue.message.length > 0 && (issue.field !== "" || issue.line !== undefined),
              `an issue naming nothing: ${JSON.stringify(issue)}`,
            );
        }
        return true;
      },
    ),
};

const VALUES = {
  app: "a",
  namespace: "n",
  project: "p",
  revision: "r",
  author: "{{app}}",
  message: "<@U1> & {{x}}",
  status: "s",
  detail: "d",
  trigger: "t",
};
const templateText = fc
  .array(
    fc.oneof(
      fc.constantFrom("{{", "}}", "{{ app }}", "{{app}}", "{{x}}", "{{{", "}}}", "{", "}", " "),
      nastyWord,
      fc.string({ maxLength: 5 }),
    ),
    { maxLength: 40 },
  )
  .map((p) => p.join(""));

const notifyProperty: FuzzProperty = {
  name: "notifications: templates and config",
  quickRuns: 100,
  target: "renderTemplate, unknownPlaceholders (template.ts), parseNotificationConfig (config.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.oneof(
        templateText,
        fc.integer({ min: 1, max: 2_000 }).map((n) => "{{".repeat(n) + " ".repeat(n)),
      ),
      fc.dictionary(
        fc.oneof(
          fc.constantFrom("targets", "triggers", "optIn", "template.sync-failed", "template.x"),
          nastyWord,
        ),
        fc.oneof(hostileYamlText, templateText),
        { maxKeys: 4 },
      ),
      (template, data) => {
        guarded(DEFAULT_LIMIT_MS, () => unknownPlaceholders(template), neverThrows);
        const text = guarded(DEFAULT_LIMIT_MS, () => renderTemplate(template, VALUES), neverThrows) ?? "";
        expect(
          text.length <= template.length + 9 * 1_000 * Math.ceil(template.length / 6 + 1),
          "output grows without bound",
        );
        const parsed = guarded(DEFAULT_LIMIT_MS, () => parseNotificationConfig(data), neverThrows);
        for (const e of parsed?.errors ?? [])
          expect(e.message !== "" && e.key in data, `an error naming no key: ${JSON.stringify(e)}`);
        return true;
      },
    ),
};

const imageRef = fc.oneof(
  fc
    .tuple(
      fc.option(fc.constantFrom("ghcr.io", "localhost:5000", "127.0.0.1:5000", "[::1]:5000", "a.b")),
      fc.array(fc.oneof(fc.constantFrom("org", "app", "a__b", "a--b", "A", "-a"), nastyWord), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.option(hostileString),
      fc.option(fc.constantFrom("sha256:" + "a".repeat(64), "", "x")),
    )
    .map(
      ([reg, parts, tag, digest]) =>
        `${reg === null ? "" : `${reg}/`}${parts.join("/")}${tag === null ? "" : `:${tag}`}${digest === null ? "" : `@${digest}`}`,
    ),
  hostileString,
);
const tagPattern = fc.oneof(
  fc.constantFrom(
    "^v(?P<v>[0-9.]+)$",
    "^main-[a-f0-9]+-(?P<ts>[0-9]+)",
    "(",
    "[",
    "(?P<",
    "\\",
    "*",
    "(?<a>x)(?<a>y)",
    ".*",
  ),
  hostileString,
);

const imageProperty: FuzzProperty = {
  name: "images: image references and tag policies",
  quickRuns: 200,
  target: "parseImageReference (reference.ts), selectLatestTag, excludeTags (src/engine/images/policy.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      imageRef,
      fc.array(
        fc.oneof(
          hostileString,
          semverRange,
          fc.constantFrom("v1.2.3", "1.0.0-rc.1", "20240101", "main-abc-17"),
        ),
        { maxLength: 20 },
      ),
      tagPattern,
      fc.oneof(
        semverRange.map((range) => ({ semver: { range } })),
        fc.constantFrom(
          { alphabetical: { order: "asc" as const } },
          { numerical: { order: "desc" as const } },
          {},
        ),
        hostileJson,
      ),
      (ref, tags, pattern, policy) => {
        guarded(
          DEFAULT_LIMIT_MS,
          () => parseImageReference(ref),
          onlyError(InvalidImageReference, /^image "/),
        );
        const spec = {
          imageRepositoryRef: { name: "r" },
          filterTags: { pattern, extract: "$v$ts$1" },
          policy,
        } as never;
        const decision = guarded(DEFAULT_LIMIT_MS, () => selectLatestTag(tags, spec), neverThrows);
        if (decision && !decision.ok)
          expect(/^spec\.|tag|match/.test(decision.message), `a refusal naming nothing: ${decision.message}`);
        if (decision?.ok) expect(tags.includes(decision.tag), `chose "${decision.tag}", not a tag`);
        guarded(
          DEFAULT_LIMIT_MS,
          () => excludeTags(tags, [pattern]),
          onlyError(Error, /^spec\.exclusionList\[0\] /),
        );
        return true;
      },
    ),
};

export const CONFIG_PROPERTIES: readonly FuzzProperty[] = [rbacProperty, notifyProperty, imageProperty];
