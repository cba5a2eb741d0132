// Golden tests of tag policies (testdata/images/policies/<case>.yaml: tags, spec, expected), plus
// the exclusion list, image references and registry credentials.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import type { ImagePolicySpec } from "../../src/model/images.js";
import {
  excludeTags,
  expandTemplate,
  parseImageName,
  parseImageReference,
  registryCredentials,
  renderCommitMessage,
  selectLatestTag,
} from "../../src/engine/images/index.js";
import { repoRoot } from "../../src/toolchain/components.js";
import { requireDuration } from "../../src/lib/duration.js";

const dir = path.join(repoRoot, "testdata/images/policies");

for (const file of (await fs.readdir(dir)).sort()) {
  test(`policy golden: ${file}`, async () => {
    const fixture = parse(await fs.readFile(path.join(dir, file), "utf8")) as {
      tags: string[];
      spec: ImagePolicySpec;
      expected: unknown;
    };
    assert.deepEqual(selectLatestTag(fixture.tags, fixture.spec), fixture.expected);
    // Order of the registry's list never changes the choice.
    assert.deepEqual(selectLatestTag([...fixture.tags].reverse(), fixture.spec), fixture.expected);
  });
}

test("exclusionList: cosign .sig tags by default; invalid expressions name the entry", () => {
  assert.deepEqual(excludeTags(["1.0.0", "sha256-abc.sig"], undefined), ["1.0.0"]);
  assert.deepEqual(excludeTags(["1.0.0", "dev-1"], ["^dev-"]), ["1.0.0"]);
  assert.throws(() => excludeTags(["a"], ["ok", "(["]), /spec.exclusionList\[1\] "\(\["/);
});

test("extract expands named, braced and numbered groups", () => {
  const m = /^(?<a>x)-(y)$/.exec("x-y") as RegExpExecArray;
  assert.equal(expandTemplate("$a/${a}/$2/$missing", m), "x/x/y/");
});

test("image references: Docker Hub, registries with ports, tags and digests", () => {
  assert.deepEqual(parseImageName("nginx"), {
    registry: "registry-1.docker.io",
    repository: "library/nginx",
    name: "nginx",
  });
  assert.deepEqual(parseImageName("example/app"), {
    registry: "registry-1.docker.io",
    repository: "example/app",
    name: "example/app",
  });
  assert.deepEqual(parseImageReference("127.0.0.1:5000/team/app:1.2.3"), {
    registry: "127.0.0.1:5000",
    repository: "team/app",
    name: "127.0.0.1:5000/team/app",
    tag: "1.2.3",
  });
  assert.equal(parseImageReference("ghcr.io/o/a@sha256:abc").digest, "sha256:abc");
  assert.throws(() => parseImageName("nginx:1.2"), /without a tag/);
  assert.throws(() => parseImageName("Bad/Name"), /not a valid repository name/);
});

test("registry credentials from dockerconfigjson or username/password, errors name the Secret", () => {
  const meta = { name: "regcred", namespace: "ns" };
  const config = JSON.stringify({
    auths: { "https://reg.example.com/v1/": { auth: Buffer.from("u:p:w").toString("base64") } },
  });
  assert.deepEqual(
    registryCredentials({ metadata: meta, stringData: { ".dockerconfigjson": config } }, "reg.example.com"),
    { credentials: { username: "u", password: "p:w" } },
  );
  assert.deepEqual(
    registryCredentials({ metadata: meta, stringData: { ".dockerconfigjson": config } }, "other.io"),
    { error: "Secret ns/regcred: .dockerconfigjson has no entry for registry other.io" },
  );
  const data = {
    username: Buffer.from("a").toString("base64"),
    password: Buffer.from("b").toString("base64"),
  };
  assert.deepEqual(registryCredentials({ metadata: meta, data }, "x"), {
    credentials: { username: "a", password: "b" },
  });
  assert.match(
    (registryCredentials({ metadata: meta }, "x") as { error: string }).error,
    /needs .dockerconfigjson/,
  );
});

test("durations and commit messages", () => {
  assert.equal(requireDuration("spec.interval", "1m30s"), 90_000);
  assert.equal(requireDuration("x", "250ms"), 250);
  assert.throws(
    () => requireDuration("spec.interval", "5 minutes"),
    /spec.interval "5 minutes" is not a duration/,
  );
  const files = [
    {
      file: "app/deploy.yaml",
      changes: [{ line: 3, policy: "ns/app", field: "image" as const, oldValue: "a:1", newValue: "a:2" }],
    },
  ];
  assert.deepEqual(
    renderCommitMessage(
      "Bump {{images}} by {{ automation }}\n\n{{ changes }}\nFiles: {{ files }}",
      "ns/auto",
      files,
    ),
    {
      ok: true,
      message: "Bump a:2 by ns/auto\n\n- app/deploy.yaml:3: a:1 -> a:2 (ns/app)\nFiles: app/deploy.yaml",
    },
  );
  assert.deepEqual(renderCommitMessage("{{ .Changed }}", "ns/auto", files), {
    ok: false,
    error:
      "spec.git.commit.messageTemplate: unknown placeholder {{ .Changed }} (use automation, changes, images, files)",
  });
});
