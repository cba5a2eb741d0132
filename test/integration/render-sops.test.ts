// SOPS decryption in the render stage, checked against the real sops: every file here is freshly
// encrypted by `sops encrypt` with a key from the real age-keygen, then rendered by Tether, and
// the objects must equal what `sops decrypt` prints. Then the bad inputs: wrong key, tampering,
// no decryption configured, keys Tether cannot use — each a DecryptionFailed naming the file and
// never a value.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import { createRenderer } from "../../src/engine/render/index.js";
import type { RenderInput } from "../../src/engine/render/index.js";
import { sopsKeysFromSecretData, type SopsKeys } from "../../src/engine/render/sops/keys.js";
import { ensureComponent } from "../../src/toolchain/binaries.js";
import { rejectsWithRenderError, write } from "../helpers/render.js";
import { type AgeKey, type SopsTool, agekeyData, sopsTool } from "../helpers/sops.js";

const PLANTED = "planted-plaintext-4c1d9e";
const b64 = (s: string) => Buffer.from(s).toString("base64");

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: db
  labels: {app: shop}
type: Opaque
data:
  password: ${b64(PLANTED)}
stringData:
  user: admin-${PLANTED}
  port: "5432"
`;

const TYPES = `apiVersion: v1
kind: ConfigMap
metadata:
  name: types
data_unencrypted:
  visible: shown
settings:
  replicas: 3
  ratio: 0.25
  big: 12345678901234
  enabled: true
  off: false
  yes_is_a_string_in_yaml_1_2: yes
  empty: ""
  nothing: null
  list: [a, 1, true, {nested: deep-${PLANTED}}]
  unicode: "grüße ✓"
`;

describe("render: SOPS-encrypted manifests (real sops, real age keys)", () => {
  let tool: SopsTool;
  let key: AgeKey;
  let other: AgeKey;
  let keys: SopsKeys;
  let repo = "";
  let renderer: ReturnType<typeof createRenderer>;

  /** `null`: the Application sets no spec.decryption. */
  const input = (p: string, decryption: SopsKeys | null = keys, commit = "c1"): RenderInput => ({
    repoRoot: repo,
    commit,
    namespace: "shop",
    source: { repoURL: "x", path: p },
    decryption: decryption ?? undefined,
  });

  /** Encrypts with real sops into the repo at `rel`, and returns what real sops decrypts it to. */
  const encrypted = async (
    rel: string,
    plain: string,
    flags: string[] = [],
    to: AgeKey[] = [key],
    config?: string,
  ) => {
    const text = await tool.encrypt(
      path.basename(rel),
      plain,
      to.map((k) => k.recipient),
      flags,
      config,
    );
    await write(repo, { [rel]: text });
    return { text, reference: await tool.decrypt(path.basename(rel), text, to[0] as AgeKey) };
  };
  const objects = async (p: string, decryption?: SopsKeys) =>
    (await renderer.render(input(p, decryption ?? keys, `${p}-${Math.random()}`))).objects.map(
      (o) => o.object,
    );

  before(async () => {
    tool = await sopsTool();
    [key, other] = [await tool.newKey(), await tool.newKey()];
    keys = await sopsKeysFromSecretData("shop/sops-age", agekeyData(key));
    repo = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "render-sops-")));
    renderer = createRenderer({
      helmBinary: await ensureComponent("helm"),
      kustomizeBinary: await ensureComponent("kustomize"),
    });
  });
  after(async () => {
    await tool?.close();
    await fs.rm(repo, { recursive: true, force: true });
  });

  test("a Secret encrypted with --encrypted-regex: Tether's objects equal sops decrypt's", async () => {
    const { text, reference } = await encrypted("secret/db.yaml", SECRET, [
      "--encrypted-regex",
      "^(data|stringData)$",
    ]);
    assert.ok(
      !text.includes(PLANTED) && !text.includes(b64(PLANTED)),
      "the committed file holds no plaintext",
    );
    await write(repo, { "secret/plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n" });
    const got = await objects("secret");
    assert.deepEqual(got[0], reference[0]);
    assert.equal((got[0]?.data as Record<string, string>).password, b64(PLANTED));
    assert.equal(got[1]?.metadata.name, "plain", "plain files beside it render as before");
  });

  test("default rules (_unencrypted suffix): ints, floats, bools, empty, null, lists, unicode", async () => {
    const { text, reference } = await encrypted("types/cm.yaml", TYPES);
    assert.match(text, /type:int\]/);
    assert.match(text, /type:bool\]/);
    assert.match(text, /visible: shown/, "the _unencrypted key stays readable");
    assert.deepEqual(await objects("types"), reference);
  });

  test("JSON files, multi-document YAML, several recipients", async () => {
    const json = JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "json", labels: { "1": "numeric-key" } },
      data: { k: PLANTED, n: "1" },
    });
    const a = await encrypted("formats/cm.json", json, ["--encrypted-regex", "^data$"]);
    const multi = `${SECRET}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}\ndata: {x: "${PLANTED}"}\n`;
    const b = await encrypted(
      "formats/multi.yaml",
      multi,
      ["--encrypted-regex", "^(data|stringData)$"],
      [other, key],
    );
    assert.deepEqual(await objects("formats"), [...a.reference, ...b.reference]);
  });

  test("--mac-only-encrypted, --unencrypted-regex and --encrypted-suffix", async () => {
    // mac_only_encrypted has no flag: it comes from a creation rule in .sops.yaml.
    const config = `creation_rules:\n  - age: ${key.recipient}\n    encrypted_regex: ^(data|stringData)$\n    mac_only_encrypted: true\n`;
    const a = await encrypted("rules/a.yaml", SECRET, [], [key], config);
    assert.match(a.text, /mac_only_encrypted: true/);
    const b = await encrypted("rules/b.yaml", TYPES.replace("name: types", "name: b"), [
      "--unencrypted-regex",
      "^(apiVersion|kind|metadata|name|ratio)$",
    ]);
    const c = await encrypted(
      "rules/c.yaml",
      TYPES.replace("name: types", "name: c").replace("settings:", "settings_secret:"),
      ["--encrypted-suffix", "_secret"],
    );
    assert.deepEqual(await objects("rules"), [...a.reference, ...b.reference, ...c.reference]);
  });

  test("the render cache key follows the keys: other keys never get a cached success", async () => {
    await encrypted("cache/db.yaml", SECRET);
    await renderer.render(input("cache", keys, "cache-commit"));
    const wrong = await sopsKeysFromSecretData("shop/sops-age", agekeyData(other));
    assert.equal(renderer.cached({ ...input("cache", wrong, "cache-commit") }), undefined);
    assert.equal(renderer.cached({ ...input("cache", null, "cache-commit") }), undefined);
    await rejectsWithRenderError(
      renderer.render(input("cache", wrong, "cache-commit")),
      "DecryptionFailed",
      /cache\/db\.yaml/,
    );
  });

  describe("bad input: DecryptionFailed naming the file, never a value", () => {
    const noLeak = async (render: Promise<unknown>, message: RegExp) => {
      await rejectsWithRenderError(render, "DecryptionFailed", message);
      const error = await render.catch((e: unknown) => e);
      const text = `${String(error)} ${(error as Error).stack ?? ""} ${JSON.stringify(error)}`;
      assert.ok(error instanceof RenderError);
      for (const value of [PLANTED, b64(PLANTED), key.identity, other.identity]) {
        assert.ok(!text.includes(value), "the error carries no plaintext and no key");
      }
    };

    test("wrong key: names the file, the Secret and the recipients", async () => {
      await encrypted("bad-wrong/db.yaml", SECRET, [], [key]);
      const wrong = await sopsKeysFromSecretData("shop/sops-age", agekeyData(other));
      await noLeak(
        renderer.render(input("bad-wrong", wrong)),
        new RegExp(
          `bad-wrong/db\\.yaml: .*none of the 1 age identities in Secret shop/sops-age.*${key.recipient}`,
        ),
      );
    });

    test("a changed plaintext field: MAC mismatch", async () => {
      const { text } = await encrypted("bad-mac/db.yaml", SECRET, [
        "--encrypted-regex",
        "^(data|stringData)$",
      ]);
      await write(repo, { "bad-mac/db.yaml": text.replace("app: shop", "app: evil") });
      await noLeak(
        renderer.render(input("bad-mac")),
        /bad-mac\/db\.yaml: cannot decrypt SOPS file: MAC mismatch/,
      );
    });

    test("a value moved or changed: AES-GCM authentication fails at its path", async () => {
      const { text } = await encrypted("bad-swap/db.yaml", SECRET, [
        "--encrypted-regex",
        "^(data|stringData)$",
      ]);
      const user = /user: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? "";
      const port = /port: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? "";
      await write(repo, {
        "bad-swap/db.yaml": text.replace(user, "X").replace(port, user).replace("user: X", `user: ${port}`),
      });
      await noLeak(
        renderer.render(input("bad-swap")),
        /bad-swap\/db\.yaml: .*"stringData:(user|port)".*authentication/,
      );
      const data = /data:(\S+?),iv:/.exec(text)?.[1] ?? "";
      const flipped = (data[0] === "A" ? "B" : "A") + data.slice(1);
      await write(repo, { "bad-swap/db.yaml": text.replace(data, flipped) });
      await noLeak(renderer.render(input("bad-swap")), /authentication/);
    });

    test("no spec.decryption: a SOPS file is refused, never applied encrypted", async () => {
      await encrypted("bad-nokeys/db.yaml", SECRET);
      await noLeak(renderer.render(input("bad-nokeys", null)), /bad-nokeys\/db\.yaml: .*no spec\.decryption/);
    });

    test("a data key held only by pgp/kms: unsupported key type, by name", async () => {
      const { text } = await encrypted("bad-pgp/db.yaml", SECRET);
      const pgpOnly = text.replace(
        / {4}age:\n(?: {8}.*\n| {10}.*\n)+/,
        '    pgp:\n        - created_at: "2026-01-01T00:00:00Z"\n          enc: x\n          fp: 0123456789ABCDEF\n    kms:\n        - arn: arn:aws:kms:eu-west-1:1:key/k\n          created_at: "2026-01-01T00:00:00Z"\n          enc: x\n          aws_profile: ""\n',
      );
      assert.notEqual(pgpOnly, text, "the age stanza was replaced");
      await write(repo, { "bad-pgp/db.yaml": pgpOnly });
      await noLeak(
        renderer.render(input("bad-pgp")),
        /bad-pgp\/db\.yaml: .*held by pgp, kms; Tether decrypts age keys only/,
      );
    });

    test("Kustomize output holding a SOPS-encrypted object is refused, not applied as ciphertext", async () => {
      await encrypted("bad-kustomize/db.yaml", SECRET, ["--encrypted-regex", "^(data|stringData)$"]);
      await write(repo, { "bad-kustomize/kustomization.yaml": "resources: [db.yaml]\n" });
      await noLeak(
        renderer.render(input("bad-kustomize")),
        /Secret db is SOPS-encrypted; Tether decrypts SOPS files of directory sources only \(not Kustomize output\)/,
      );
    });

    test("a sops block Tether cannot read as one (no MAC) is refused", async () => {
      const { text } = await encrypted("bad-nomac/db.yaml", SECRET);
      await write(repo, { "bad-nomac/db.yaml": text.replace(/ {4}mac: .*\n/, "") });
      await noLeak(renderer.render(input("bad-nomac")), /bad-nomac\/db\.yaml: .*without a MAC/);
    });
  });
});
