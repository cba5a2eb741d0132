// Reading kustomizations before kustomize runs (pure): remote detection, references, the
// buildOptions allow-list and Argo CD's image override syntax.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import {
  helmChartRepos,
  isRemoteReference,
  kustomizationReferences,
  kustomizeBuildArgs,
  kustomizeImage,
} from "../../src/engine/render/kustomize-refs.js";

describe("isRemoteReference", () => {
  const remote = [
    "github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v1.0.6",
    "https://github.com/org/repo//deploy?ref=main",
    "http://example.com/manifest.yaml",
    "git::https://example.com/org/repo",
    "ssh://git@example.com/org/repo.git",
    "git@github.com:org/repo.git//base",
    "gitlab.com/org/repo/base",
    "example.com/org/repo//base",
    "./base?ref=main",
  ];
  const local = [
    "base",
    "../base",
    "./deployment.yaml",
    "overlays/prod",
    "my.app/base",
    "v1.2/manifests.yaml",
  ];
  for (const value of remote) test(`remote: ${value}`, () => assert.equal(isRemoteReference(value), true));
  for (const value of local) test(`local: ${value}`, () => assert.equal(isRemoteReference(value), false));
});

describe("kustomizationReferences", () => {
  test("lists resources, bases, components, generators, transformers with their field", () => {
    const refs = kustomizationReferences({
      resources: ["a.yaml", "../base"],
      bases: ["old-base"],
      components: ["../comp"],
      generators: ["gen.yaml", "apiVersion: x\nkind: Inline\n"],
      transformers: ["t"],
      patches: [{ path: "p.yaml" }],
    });
    assert.deepEqual(
      refs.map((r) => `${r.field}=${r.value}`),
      [
        "resources[0]=a.yaml",
        "resources[1]=../base",
        "bases[0]=old-base",
        "components[0]=../comp",
        "generators[0]=gen.yaml",
        "transformers[0]=t",
      ],
    );
  });
  test("tolerates non-objects", () => {
    assert.deepEqual(kustomizationReferences(null), []);
    assert.deepEqual(kustomizationReferences("x"), []);
  });
  test("helmCharts with a repo", () => {
    assert.deepEqual(helmChartRepos({ helmCharts: [{ name: "a" }, { name: "b", repo: "https://c" }] }), [
      { field: "helmCharts[1].repo", name: "b", repo: "https://c" },
    ]);
  });
});

describe("kustomizeBuildArgs", () => {
  test("allowed options pass through, values in either form", () => {
    assert.deepEqual(
      kustomizeBuildArgs([
        "--enable-helm",
        "--load-restrictor",
        "LoadRestrictionsRootOnly",
        "--helm-kube-version=1.35.0",
      ]),
      ["--enable-helm", "--load-restrictor", "LoadRestrictionsRootOnly", "--helm-kube-version", "1.35.0"],
    );
    assert.deepEqual(kustomizeBuildArgs(undefined), []);
  });
  for (const bad of [
    ["--enable-exec"],
    ["--enable-alpha-plugins"],
    ["--load-restrictor", "LoadRestrictionsNone"],
    ["--load-restrictor=LoadRestrictionsNone"],
    ["--network"],
    ["--mount", "type=bind,src=/,dst=/host"],
    ["--enable-helm=false"],
    ["-o", "/tmp/x"],
  ]) {
    test(`refused: ${bad.join(" ")}`, () => {
      assert.throws(
        () => kustomizeBuildArgs(bad),
        (e: unknown) =>
          e instanceof RenderError &&
          e.reason === "KustomizeFailed" &&
          /spec\.source\.kustomize\.buildOptions\[0\] .* is not an allowed kustomize build option/.test(
            e.message,
          ),
      );
    });
  }
});

describe("kustomizeImage", () => {
  test("Argo CD override forms", () => {
    assert.deepEqual(kustomizeImage("nginx:1.27"), { name: "nginx", newTag: "1.27" });
    assert.deepEqual(kustomizeImage("nginx=registry.local:5000/nginx:1.27"), {
      name: "nginx",
      newName: "registry.local:5000/nginx",
      newTag: "1.27",
    });
    assert.deepEqual(kustomizeImage("registry.local:5000/app"), { name: "registry.local:5000/app" });
    assert.deepEqual(kustomizeImage("app@sha256:abc"), { name: "app", digest: "sha256:abc" });
  });
});
