// YAML and JSON read from repositories and Secrets: manifests (with the render limits on
// documents and aliases), kubeconfig files of registered clusters, and SOPS-encrypted files.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { stringify } from "yaml";
import { RenderError } from "../../src/engine/errors.js";
import { parseManifests } from "../../src/engine/render/manifests.js";
import { RenderContext } from "../../src/engine/render/context.js";
import { SopsValueError, decryptValue } from "../../src/engine/render/sops/cipher.js";
import { decryptSopsFile } from "../../src/engine/render/sops/decrypt.js";
import type { SopsKeys } from "../../src/engine/render/sops/keys.js";
import { sopsKeysFromSecretData } from "../../src/engine/render/sops/keys.js";
import { readMetadata } from "../../src/engine/render/sops/metadata.js";
import { parseKubeConfig } from "../../src/kube/kubeconfig.js";
import { hostileJson, hostileString, hostileYamlText, mutationsOf, nested } from "./arbitraries.js";
import { DEFAULT_LIMIT_MS, expect, type FuzzProperty, guarded, guardedAsync, onlyError } from "./guard.js";

const SMALL_LIMITS = { maxDocuments: 20, maxAliasCount: 50 };

const manifest = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "cm", namespace: "ns", labels: { a: "b" } },
  data: { "key.yaml": "x: 1", other: "0644" },
};
const list = { apiVersion: "v1", kind: "List", items: [manifest, manifest] };

/** Manifest-shaped YAML: valid objects mutated, several documents, and hostile text. */
const manifestText = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.constantFrom(manifest, list).chain((v) => mutationsOf(v, false)),
        { minLength: 1, maxLength: 4 },
      )
      .map((docs) => docs.map((d) => stringify(d, { aliasDuplicateObjects: false })).join("---\n")),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(manifest, list)
      .chain((v) => mutationsOf(v))
      .map((v) => JSON.stringify(v)),
  },
  { weight: 2, arbitrary: hostileYamlText },
  { weight: 1, arbitrary: hostileJson.map((v) => stringify({ ...manifest, data: v })) },
);

const MANIFEST_ERROR = /^fuzz\.yaml:\d+: /;

const manifestsProperty: FuzzProperty = {
  name: "render: YAML/JSON manifests and render limits",
  quickRuns: 100,
  target: "parseManifests (src/engine/render/manifests.ts), RenderContext.addDocuments (context.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(manifestText, (text) => {
      const ctx = new RenderContext(
        "/nonexistent",
        { ...SMALL_LIMITS, timeoutMs: 60_000, maxOutputBytes: 1 << 26, maxFileBytes: 1 << 23 },
        {
          renders: 0,
          cacheHits: 0,
          filesRead: 0,
          toolInvocations: 0,
        },
      );
      const allowed = onlyError(RenderError, MANIFEST_ERROR, (e) =>
        ["InvalidManifest", "LimitExceeded"].includes((e as RenderError).reason)
          ? undefined
          : `reason ${(e as RenderError).reason}`,
      );
      const parsed = guarded(
        DEFAULT_LIMIT_MS,
        () => {
          const objects = parseManifests(text, "fuzz.yaml", SMALL_LIMITS);
          ctx.addDocuments(objects.length, "fuzz.yaml");
          return objects;
        },
        allowed,
      );
      for (const { object, line } of parsed ?? []) {
        expect(
          typeof object.apiVersion === "string" && typeof object.kind === "string",
          "an object without kind",
        );
        expect(Number.isInteger(line) && line >= 1, `line ${line}`);
      }
      expect((parsed?.length ?? 0) <= SMALL_LIMITS.maxDocuments, "more documents than the limit");
      return true;
    }),
};

const kubeconfig = {
  apiVersion: "v1",
  kind: "Config",
  clusters: [
    { name: "c", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "AAAA" } },
  ],
  users: [{ name: "u", user: { token: "t", exec: { command: "x" } } }],
  contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "default" } }],
  "current-context": "ctx",
};

const kubeconfigProperty: FuzzProperty = {
  name: "kube: kubeconfig file",
  quickRuns: 60,
  target: "parseKubeConfig (src/kube/kubeconfig.ts)",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.property(
      fc.oneof(
        mutationsOf(kubeconfig, false).map((v) => stringify(v)),
        mutationsOf(kubeconfig).map((v) => JSON.stringify(v)),
        hostileYamlText,
      ),
      (text) => {
        guarded(
          DEFAULT_LIMIT_MS,
          () => parseKubeConfig(text, "kubeconfig", "/tmp"),
          // Plain Errors, each naming the file and the field (`kubeconfig: users[0].name is missing`),
          // or the alias limit of the yaml library.
          (error) => {
            if (error instanceof ReferenceError && /alias/i.test(error.message)) return undefined;
            if (!(error instanceof Error) || error.constructor !== Error)
              return "threw something other than Error";
            return /^kubeconfig(:\d+)?: /.test(error.message)
              ? undefined
              : "the message names neither file nor field";
          },
        );
        return true;
      },
    ),
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/sops");
const sopsText = (name: string) => fs.readFileSync(path.join(root, name), "utf8");
let keys: Promise<SopsKeys> | undefined;
const testKeys = () =>
  (keys ??= sopsKeysFromSecretData("fuzz/keys", {
    "TEST-ONLY.agekey": Buffer.from(sopsText("TEST-ONLY-key.agekey")).toString("base64"),
  }));

/** One character of a real encrypted file changed, a line dropped or doubled, or a value replaced. */
const sopsFile = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("secret.enc.yaml", "multi.enc.yaml", "types.enc.yaml", "mac-only.enc.yaml"),
      fc.nat(),
      fc.nat(),
      hostileString,
      fc.constantFrom("char", "drop", "double", "insert"),
    )
    .map(([name, at, line, text, how]) => {
      const source = sopsText(name);
      const lines = source.split("\n");
      const i = line % lines.length;
      if (how === "drop") lines.splice(i, 1);
      else if (how === "double") lines.splice(i, 0, lines[i] ?? "");
      else if (how === "insert") lines.splice(i, 0, text);
      else
        return (
          source.slice(0, at % source.length) + text.slice(0, 1) + source.slice((at % source.length) + 1)
        );
      return lines.join("\n");
    }),
  fc
    .constantFrom(JSON.parse(sopsText("configmap.enc.json")) as unknown)
    .chain(mutationsOf)
    .map((v) => JSON.stringify(v)),
  hostileYamlText.map((t) => `sops:\n  mac: x\n  lastmodified: y\ndata: ${t}`),
  fc
    .integer({ min: 150, max: 3_000 })
    .map((n) => `sops: {mac: x, lastmodified: y}\ndata: ${JSON.stringify(nested(n, "x"))}`),
);

/** ENC[…] values: well-formed but wrong, and long runs of its separators (the regex has four `.+`). */
const ciphertext = fc.oneof(
  hostileString,
  fc
    .tuple(
      fc.array(fc.constantFrom("data:", "iv:", "tag:", "type:", ",", "AAAA", "=", "]", "str"), {
        maxLength: 12,
      }),
      fc.integer({ min: 1, max: 2_000 }),
    )
    .map(([parts, n]) => `ENC[AES256_GCM,data:${parts.join("").repeat(n)}`),
  fc
    .tuple(
      fc.base64String({ maxLength: 64 }),
      fc.base64String({ maxLength: 64 }),
      fc.base64String({ maxLength: 32 }),
      fc.constantFrom("str", "int", "float", "bool", "bytes", "time", "x"),
    )
    .map(([data, iv, tag, type]) => `ENC[AES256_GCM,data:${data},iv:${iv},tag:${tag},type:${type}]`),
);

const SOPS_ERROR = /^fuzz\.enc\.yaml(:\d+)?: /;

const sopsProperty: FuzzProperty = {
  name: "render: SOPS-encrypted file",
  quickRuns: 30,
  target: "decryptSopsFile (src/engine/render/sops/decrypt.ts), readMetadata, decryptValue",
  limitMs: DEFAULT_LIMIT_MS,
  property: () =>
    fc.asyncProperty(sopsFile, hostileJson, ciphertext, async (text, meta, ciphertext) => {
      const allowed = onlyError(RenderError, SOPS_ERROR, (e) =>
        ["InvalidManifest", "LimitExceeded", "DecryptionFailed"].includes((e as RenderError).reason)
          ? undefined
          : `reason ${(e as RenderError).reason}`,
      );
      const k = await testKeys();
      await guardedAsync(
        DEFAULT_LIMIT_MS,
        () => decryptSopsFile(text, "fuzz.enc.yaml", k, { maxAliasCount: 50 }),
        allowed,
      );
      guarded(
        DEFAULT_LIMIT_MS,
        () => readMetadata(meta),
        onlyError(SopsValueError, /sops|key group|regex|MAC/i),
      );
      guarded(
        DEFAULT_LIMIT_MS,
        () => decryptValue(ciphertext, Buffer.alloc(32), "a:"),
        onlyError(SopsValueError, /^(its|it |the value|not )/),
      );
      return true;
    }),
};

export const YAML_PROPERTIES: readonly FuzzProperty[] = [manifestsProperty, kubeconfigProperty, sopsProperty];
