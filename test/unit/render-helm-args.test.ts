// helm template argv, chart location, helm output splitting, source type detection and the
// directory include/exclude filter (pure).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RenderError } from "../../src/engine/errors.js";
import { detectSourceType } from "../../src/engine/render/detect.js";
import { directoryFilter } from "../../src/engine/render/directory.js";
import {
  chartFileInRepository,
  chartLocation,
  helmTemplateArgs,
  splitHelmOutput,
} from "../../src/engine/render/helm-args.js";

describe("chartLocation", () => {
  test("path, HTTP repository, OCI", () => {
    assert.deepEqual(chartLocation({ repoURL: "https://git/x.git", path: "c" }), { kind: "path" });
    assert.deepEqual(
      chartLocation({ repoURL: "https://charts.example.com", chart: "redis", targetRevision: "1.2.3" }),
      {
        kind: "repository",
        repoURL: "https://charts.example.com",
        chart: "redis",
        version: "1.2.3",
      },
    );
    assert.deepEqual(
      chartLocation({ repoURL: "oci://reg.example.com/charts/", chart: "redis", targetRevision: "1.0.0" }),
      {
        kind: "oci",
        ref: "oci://reg.example.com/charts/redis",
        version: "1.0.0",
      },
    );
  });
  test("bad chart names and repository URLs", () => {
    for (const source of [
      { repoURL: "https://c", chart: "../x" },
      { repoURL: "https://c", chart: "a/b" },
      { repoURL: "oci://r/c", chart: "a/../b" },
      { repoURL: "ftp://c", chart: "x" },
    ]) {
      assert.throws(() => chartLocation(source), RenderError, JSON.stringify(source));
    }
  });
});

describe("helmTemplateArgs", () => {
  test("order: value files, then inline values, then parameters (as Argo CD)", () => {
    const args = helmTemplateArgs({
      releaseName: "shop",
      chart: "/repo/charts/web",
      location: { kind: "path" },
      namespace: "prod",
      valueFiles: ["/repo/charts/web/a.yaml", "/repo/b.yaml"],
      inlineValuesFile: "/tmp/inline.yaml",
      parameters: [
        { name: "image.tag", value: "1.2" },
        { name: "port", value: "80", forceString: true },
      ],
      includeCRDs: true,
      plainHttp: false,
    });
    assert.deepEqual(args, [
      "template",
      "--namespace=prod",
      "--include-crds",
      "--values=/repo/charts/web/a.yaml",
      "--values=/repo/b.yaml",
      "--values=/tmp/inline.yaml",
      "--set=image.tag=1.2",
      "--set-string=port=80",
      "--",
      "shop",
      "/repo/charts/web",
    ]);
  });
  test("repository and OCI flags", () => {
    const common = { releaseName: "r", namespace: "n", valueFiles: [], parameters: [], includeCRDs: false };
    assert.deepEqual(
      helmTemplateArgs({
        ...common,
        chart: "redis",
        location: { kind: "repository", repoURL: "https://c", chart: "redis", version: "1.0.0" },
        plainHttp: true,
      }).slice(2, -3),
      ["--skip-crds", "--repo=https://c", "--version=1.0.0"],
    );
    assert.deepEqual(
      helmTemplateArgs({
        ...common,
        chart: "oci://r/c/redis",
        location: { kind: "oci", ref: "oci://r/c/redis", version: "2.0.0" },
        plainHttp: true,
      }).slice(2, -3),
      ["--skip-crds", "--version=2.0.0", "--plain-http"],
    );
  });
  test("no user value becomes a flag of its own: release names, value files and --set (issue 17)", () => {
    const base = {
      chart: "/repo/c",
      location: { kind: "path" } as const,
      namespace: "n",
      valueFiles: [],
      parameters: [],
      includeCRDs: false,
      plainHttp: false,
    };
    for (const releaseName of [
      "--post-renderer=/repo/c/evil.sh",
      "--set-file=leak=/etc/passwd",
      "-f/etc/passwd",
      "Upper",
      "a".repeat(54),
      "a b",
      "",
    ]) {
      assert.throws(
        () => helmTemplateArgs({ ...base, releaseName }),
        /spec\.source\.helm\.releaseName .* not a valid release name/,
        releaseName,
      );
    }
    assert.throws(
      () => helmTemplateArgs({ ...base, releaseName: "r", valueFiles: ["/repo/c/x.yaml,/etc/passwd"] }),
      /spec\.source\.helm\.valueFiles\[0\] contains a comma/,
    );
    assert.throws(
      () => helmTemplateArgs({ ...base, releaseName: "r", parameters: [{ name: "a,b", value: "1" }] }),
      /parameters\[0\]\.name contains/,
    );
    const args = helmTemplateArgs({
      ...base,
      releaseName: "r",
      parameters: [{ name: "leak", value: "x,leak2=y\\" }],
    });
    assert.ok(args.includes("--set=leak=x\\,leak2=y\\\\"), args.join(" "));
    assert.deepEqual(args.slice(-3), ["--", "r", "/repo/c"]);
  });
  test("multi-line parameters are refused", () => {
    assert.throws(
      () =>
        helmTemplateArgs({
          releaseName: "r",
          chart: "c",
          location: { kind: "path" },
          namespace: "n",
          valueFiles: [],
          parameters: [{ name: "a", value: "x\ny" }],
          includeCRDs: true,
          plainHttp: false,
        }),
      /parameters\[0\]/,
    );
  });
});

describe("helm output", () => {
  test("split per manifest with its Source comment", () => {
    const out =
      "---\n# Source: web/templates/a.yaml\nkind: A\n---\n# Source: web/templates/b.yaml\nkind: B\n---\n# Source: web/templates/b.yaml\nkind: C\n";
    assert.deepEqual(
      splitHelmOutput(out).map((c) => c.source),
      ["web/templates/a.yaml", "web/templates/b.yaml", "web/templates/b.yaml"],
    );
  });
  test("a block scalar containing --- is not split (it is indented)", () => {
    const out = "---\n# Source: web/templates/a.yaml\ndata:\n  x: |\n    ---\n    y\n";
    assert.equal(splitHelmOutput(out).length, 1);
  });
  test("chart file names are mapped into the repository", () => {
    assert.equal(chartFileInRepository("web/templates/a.yaml", "charts/web"), "charts/web/templates/a.yaml");
    assert.equal(chartFileInRepository("web/charts/sub/templates/a.yaml", ""), "charts/sub/templates/a.yaml");
  });
});

describe("detectSourceType", () => {
  const git = { repoURL: "https://git/x.git" };
  test("kustomization names, Chart.yaml, otherwise Directory", () => {
    assert.equal(detectSourceType(git, ["kustomization.yaml", "a.yaml"]), "Kustomize");
    assert.equal(detectSourceType(git, ["kustomization.yml"]), "Kustomize");
    assert.equal(detectSourceType(git, ["Kustomization"]), "Kustomize");
    assert.equal(detectSourceType(git, ["Chart.yaml", "values.yaml"]), "Helm");
    assert.equal(detectSourceType(git, ["a.yaml", "chart.yaml"]), "Directory");
  });
  test("explicit type wins; a chart source is Helm", () => {
    assert.equal(detectSourceType({ ...git, type: "Directory" }, ["Chart.yaml"]), "Directory");
    assert.equal(detectSourceType({ repoURL: "https://c", chart: "x" }, []), "Helm");
  });
});

describe("directoryFilter", () => {
  test("manifest extensions only", () => {
    const f = directoryFilter(undefined);
    assert.deepEqual(["a.yaml", "b.yml", "c.json", "d.txt", "e.YAML", "sub/f.yaml"].filter(f), [
      "a.yaml",
      "b.yml",
      "c.json",
      "e.YAML",
      "sub/f.yaml",
    ]);
  });
  test("Argo CD brace lists and excludes; base-name match for patterns without /", () => {
    const f = directoryFilter({ include: "{app.yaml,db/*.yaml}", exclude: "*-test.yaml" });
    assert.deepEqual(["app.yaml", "db/pg.yaml", "db/pg-test.yaml", "other.yaml", "x/app.yaml"].filter(f), [
      "app.yaml",
      "db/pg.yaml",
      "x/app.yaml",
    ]);
  });
});
