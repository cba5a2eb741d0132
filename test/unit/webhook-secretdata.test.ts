// Secret tether-webhook read into WebhookSecrets: each forge's key used as written, an empty key
// or an unknown one reported by name (and not used), a missing Secret verifying nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { webhookSecretsFromData } from "../../src/api/webhooks/index.js";

const NAME = "tether-system/tether-webhook";

describe("webhook secrets from Secret data", () => {
  test("a missing Secret: no secrets, no problems", () => {
    assert.deepEqual(webhookSecretsFromData(NAME, undefined), { secrets: {}, verified: [], problems: [] });
  });

  test("every forge's key is used exactly as written", () => {
    const reading = webhookSecretsFromData(NAME, {
      github: "gh s3cret ",
      gitlab: "gl",
      gitea: "gt",
      bitbucket: "bb",
    });
    assert.deepEqual(reading.secrets, { github: "gh s3cret ", gitlab: "gl", gitea: "gt", bitbucket: "bb" });
    assert.deepEqual(reading.verified, ["github", "gitlab", "gitea", "bitbucket"]);
    assert.deepEqual(reading.problems, []);
  });

  test("an empty key is reported with the Secret's name and not used; the others still verify", () => {
    const reading = webhookSecretsFromData(NAME, { github: "gh", gitlab: "", gitea: "  \n" });
    assert.deepEqual(reading.secrets, { github: "gh" });
    assert.deepEqual(reading.verified, ["github"]);
    assert.deepEqual(reading.problems, [
      `Secret ${NAME}: key gitea is empty; gitea deliveries are not verified`,
      `Secret ${NAME}: key gitlab is empty; gitlab deliveries are not verified`,
    ]);
  });

  test("an unknown key is named and ignored; a final newline is kept but said", () => {
    const reading = webhookSecretsFromData(NAME, { gihub: "x", github: "from-file\n" });
    assert.deepEqual(reading.secrets, { github: "from-file\n" });
    assert.equal(reading.problems.length, 2);
    assert.match(reading.problems[0] ?? "", /key "gihub" is not a forge/);
    assert.match(reading.problems[1] ?? "", /key github ends with a newline/);
  });
});
