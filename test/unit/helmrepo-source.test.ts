// The pure parts of the Helm repository source: the slim index, version resolution (exact,
// ranges, prereleases, latest), archive URLs, and the tar reader's refusals (paths that escape,
// links, devices, entry-count and size bombs).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { describe, test } from "node:test";
import { SourceError } from "../../src/engine/errors.js";
import {
  chartArchiveUrl,
  chartBlockRanges,
  parseIndexEntriesByChart,
  parseIndexEntries,
  readTarEntries,
  resolveChartVersion,
  unsafeEntryPath,
} from "../../src/engine/source/helmrepo/index.js";
import { extractChartArchive, TarRefused } from "../../src/engine/source/helmrepo/extract.js";

const REPO = "https://charts.example.com/stable";
const indexText = readFileSync(
  path.join(import.meta.dirname, "../../testdata/source/helmrepo/index.yaml"),
  "utf8",
);
const index = parseIndexEntries(indexText, REPO);
const version = (target: string | undefined, chart = "demo") =>
  resolveChartVersion(index, chart, target, REPO).version;

describe("index entries", () => {
  test("keep only name, version, digest, urls, created", () => {
    const [first] = index.get("demo") ?? [];
    assert.deepEqual(first, {
      name: "demo",
      version: "0.2.0-rc.1",
      digest: "1".repeat(64),
      urls: ["demo-0.2.0-rc.1.tgz"],
      created: "2026-12-01T10:00:00Z",
    });
    assert.deepEqual([...index.keys()], ["demo", "other"]);
    // Scalars stay text as written: an unquoted timestamp, an all-digit digest, `version: 1.10`.
    assert.equal(index.get("demo")?.[2]?.created, "2026-11-01T10:00:00Z");
    assert.equal(index.get("other")?.[1]?.version, "1.10");
  });
  test("an index without entries or that is not YAML names the repository", () => {
    assert.throws(() => parseIndexEntries("apiVersion: v1\n", REPO), /charts\.example\.com.*"entries"/);
    assert.throws(() => parseIndexEntries("entries: [\n", REPO), /charts\.example\.com.*not valid YAML/);
  });
});

describe("index read one chart at a time", () => {
  test("gives what the whole-text parse gives, in one block per chart", async () => {
    assert.equal(chartBlockRanges(indexText)?.length, 2);
    assert.deepEqual(await parseIndexEntriesByChart(indexText, REPO), index);
  });
  test("block scalars, comments and blank lines stay inside their chart's block", async () => {
    const text = [
      "apiVersion: v1",
      "entries:",
      "  # a comment",
      "  a:",
      "  - annotations:",
      "      notes: |",
      "        line one",
      "",
      "        entries:",
      "      more: x",
      "    version: 1.0.0",
      "    digest: abc",
      "    urls: [a.tgz]",
      "  b:",
      "    - version: 2.0.0",
      "generated: now",
      "",
    ].join("\n");
    assert.equal(chartBlockRanges(text)?.length, 2);
    assert.deepEqual(await parseIndexEntriesByChart(text, REPO), parseIndexEntries(text, REPO));
  });
  test("another layout, or a block that cannot parse alone, falls back to the whole text", async () => {
    const fourSpaces = "entries:\n    a:\n    - version: 1.0.0\n";
    assert.equal(chartBlockRanges(fourSpaces), undefined);
    assert.deepEqual(await parseIndexEntriesByChart(fourSpaces, REPO), parseIndexEntries(fourSpaces, REPO));
    const aliases = "entries:\n  a:\n  - &v {version: 1.0.0}\n  b:\n  - *v\n";
    assert.deepEqual(
      [...(await parseIndexEntriesByChart(aliases, REPO)).values()].map((v) => v.map((e) => e.version)),
      [["1.0.0"], ["1.0.0"]],
    );
    await assert.rejects(parseIndexEntriesByChart("entries:\n  a: [\n", REPO), /not valid YAML/);
  });
});

describe("resolveChartVersion", () => {
  test("an exact version, with or without a leading v", () => {
    assert.equal(version("0.1.0"), "0.1.0");
    assert.equal(version("v0.1.1"), "0.1.1");
    assert.equal(version("v2.0.0", "other"), "v2.0.0");
    assert.equal(version("0.2.0-rc.1"), "0.2.0-rc.1");
  });
  test("ranges pick the highest match and skip prereleases unless the range names one", () => {
    assert.equal(version("~0.1"), "0.1.1");
    assert.equal(version("^0.1.0"), "0.1.1");
    assert.equal(version(">=0.1.0 <1.0.0"), "0.1.1");
    assert.equal(version("0.x"), "0.1.1");
    assert.equal(version(">=0.2.0-0 <1.0.0"), "0.2.0-rc.1");
  });
  test("empty, *, HEAD mean the latest stable version", () => {
    for (const target of [undefined, "", "*", "HEAD"]) assert.equal(version(target), "1.0.0");
  });
  test("a version or chart that does not exist is RevisionNotFound naming the field and the chart", () => {
    for (const [target, chart] of [
      ["9.9.9", "demo"],
      ["~3", "demo"],
      ["not a range!", "demo"],
      ["1.0.0", "missing"],
    ] as const) {
      assert.throws(
        () => resolveChartVersion(index, chart, target, REPO),
        (error: unknown) =>
          error instanceof SourceError &&
          error.reason === "RevisionNotFound" &&
          error.message.includes(`"${chart}"`) &&
          error.message.includes(chart === "missing" ? "spec.source.chart" : "spec.source.targetRevision"),
      );
    }
  });
  test("archive URLs: relative to the repository (with or without its slash) or absolute", () => {
    const entry = (v: string) => resolveChartVersion(index, "demo", v, REPO);
    assert.equal(chartArchiveUrl(entry("0.1.1"), REPO), `${REPO}/charts/demo-0.1.1.tgz`);
    assert.equal(chartArchiveUrl(entry("0.1.1"), `${REPO}/`), `${REPO}/charts/demo-0.1.1.tgz`);
    assert.equal(chartArchiveUrl(entry("0.1.0"), REPO), "https://cdn.example.com/demo-0.1.0.tgz");
    const bad = { ...entry("0.1.0"), urls: ["file:///etc/passwd"] };
    assert.throws(() => chartArchiveUrl(bad, REPO), /not http\(s\)/);
  });
});

/** A ustar archive, as Go's archive/tar writes one (typeflag '0' files, '5' folders, …). */
function tar(entries: { name: string; type?: string; data?: string; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? "");
    const header = Buffer.alloc(512);
    header.write(e.name, 0, 100, "utf8");
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("00000000000\0", 136);
    header.write(e.type ?? "0", 156);
    if (e.link) header.write(e.link, 157, 100);
    header.write("ustar\0" + "00", 257, "latin1");
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const LIMITS = { maxEntries: 100, maxBytes: 1024 * 1024 };

describe("tar entries", () => {
  test("reads files and folders", () => {
    const entries = readTarEntries(
      tar([
        { name: "demo/", type: "5" },
        { name: "demo/Chart.yaml", data: "name: demo\n" },
      ]),
      LIMITS,
    );
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.data.toString()]),
      [
        ["demo/", "dir", ""],
        ["demo/Chart.yaml", "file", "name: demo\n"],
      ],
    );
  });
  test("unsafe paths are refused", () => {
    for (const name of ["../x", "demo/../../x", "/etc/passwd", "C:/x", "demo\\..\\x", ""]) {
      assert.ok(unsafeEntryPath(name), name);
    }
    for (const name of ["demo/Chart.yaml", "demo/..hidden", "demo/a..b/c"]) {
      assert.equal(unsafeEntryPath(name), undefined, name);
    }
    assert.throws(() => readTarEntries(tar([{ name: "demo/../../evil" }]), LIMITS), /'\.\.' segment/);
  });
  test("symlinks, hardlinks and devices are refused by name", () => {
    for (const [type, what] of [
      ["2", "a symlink"],
      ["1", "a hardlink"],
      ["3", "a character device"],
      ["4", "a block device"],
      ["6", "a FIFO"],
    ] as const) {
      assert.throws(
        () => readTarEntries(tar([{ name: "demo/x", type, link: "/etc/passwd" }]), LIMITS),
        (error: unknown) => error instanceof TarRefused && error.message.includes(`"demo/x" is ${what}`),
      );
    }
  });
  test("entry count and total size are bounded", () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `demo/f${i}` }));
    assert.throws(() => readTarEntries(tar(many), LIMITS), /more than 100 entries/);
    const big = [
      { name: "demo/a", data: "x".repeat(600_000) },
      { name: "demo/b", data: "x".repeat(600_000) },
    ];
    assert.throws(() => readTarEntries(tar(big), LIMITS), /larger than 1048576 bytes in all/);
  });
  test("a pax path overrides the header name and is checked too", () => {
    const record = " path=../../escape\n";
    const len = record.length + 2;
    const pax = `${len}${record}`;
    assert.throws(
      () =>
        readTarEntries(tar([{ name: "PaxHeaders/x", type: "x", data: pax }, { name: "demo/ok" }]), LIMITS),
      /"\.\.\/\.\.\/escape" has a '\.\.' segment/,
    );
  });
  test("a malformed header is refused as such, not thrown as a bare error", () => {
    const archive = tar([{ name: "demo/Chart.yaml", data: "x" }]);
    archive.write("9z", 124, "latin1"); // size field no longer octal
    archive.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of archive.subarray(0, 512)) sum += b;
    archive.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    assert.throws(() => readTarEntries(archive, LIMITS), TarRefused);
    assert.throws(() => readTarEntries(Buffer.alloc(512, 1), LIMITS), TarRefused);
  });
  test("a duplicate entry, or a name used as file and folder, is refused while extracting", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-extract-"));
    try {
      const archive = (entries: { name: string; data?: string }[]) =>
        gzipSync(tar([{ name: "demo/Chart.yaml", data: "name: demo\n" }, ...entries]));
      await assert.rejects(
        extractChartArchive(
          archive([{ name: "demo/Chart.yaml", data: "x" }]),
          path.join(dir, "a"),
          "demo",
          LIMITS,
        ),
        /"demo\/Chart.yaml" cannot be written \(EEXIST\)/,
      );
      await assert.rejects(
        extractChartArchive(archive([{ name: "demo/Chart.yaml/x" }]), path.join(dir, "b"), "demo", LIMITS),
        (error: unknown) =>
          error instanceof TarRefused && /"demo\/Chart.yaml\/x" cannot be written/.test(error.message),
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  test("a chart name that is not one safe segment is refused before anything is written (found by hostile testing)", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-extract-"));
    try {
      const into = path.join(dir, "trees", "chart-x");
      const archive = gzipSync(tar([{ name: "good/Chart.yaml", data: "name: good\n" }]));
      for (const chart of ["../../escaped", "..", "../x", "a/b", "/abs", ".hidden", ""]) {
        await assert.rejects(
          extractChartArchive(archive, into, chart, LIMITS),
          (error: unknown) => error instanceof TarRefused && /is not one path segment/.test(error.message),
          chart,
        );
        assert.throws(
          () => resolveChartVersion(index, chart, "0.1.0", REPO),
          (error: unknown) =>
            error instanceof SourceError &&
            error.reason === "InvalidSpec" &&
            /is not a chart name/.test(error.message),
          chart,
        );
      }
      assert.deepEqual(await fs.readdir(dir), [], "nothing written anywhere");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
  test("a gzip bomb stops at the limit while inflating", async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    await assert.rejects(
      extractChartArchive(bomb, "/nonexistent-never-written", "demo", LIMITS),
      /uncompressed size is over the limit/,
    );
  });
});
