// RevisionResolver's coalescing, with a scripted source whose answers the test releases one by one:
// a refresh never takes the answer of a call that started before it, and a burst of refreshes
// costs one queued call, not one each.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RepositoryCache, ResolvedRevision } from "../../src/engine/source/index.js";
import { RevisionResolver, mustResolveFresh } from "../../src/controller/revisions.js";

function scriptedSource() {
  const calls: { options: unknown; answer: (commit: string) => void }[] = [];
  const source = {
    resolve: (_repo: string, _rev: string | undefined, options: unknown) =>
      new Promise<ResolvedRevision>((resolve) =>
        calls.push({
          options,
          answer: (commit) => resolve({ commit, ref: "refs/heads/main", fetched: true } as ResolvedRevision),
        }),
      ),
  } as unknown as RepositoryCache;
  return { source, calls };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("refreshes asked while a call is in flight share one next call, which starts after it", async () => {
  const { source, calls } = scriptedSource();
  const resolver = new RevisionResolver(source, 60_000);
  const first = resolver.resolve("https://git.example/r.git", "main", false);
  await tick();
  const refreshes = Array.from({ length: 50 }, () =>
    resolver.resolve("https://git.example/r.git", "main", true),
  );
  await tick();
  assert.equal(calls.length, 1, "nothing new starts while the first call is in flight");
  calls[0]?.answer("old");
  assert.equal((await first).commit, "old");
  await tick();
  assert.equal(calls.length, 2, "one call for all 50 refreshes");
  assert.deepEqual(calls[1]?.options, {}, "the queued call is a refresh (no cached listing)");
  calls[1]?.answer("new");
  const answers = await Promise.all(refreshes);
  assert.ok(
    answers.every((a) => a.commit === "new"),
    "no refresh got the answer that predates it",
  );
});

test("a plain resolve joins the call in flight; a cached answer serves until it is too old", async () => {
  const { source, calls } = scriptedSource();
  let now = 0;
  const resolver = new RevisionResolver(source, 1_000, () => now);
  const a = resolver.resolve("https://git.example/r.git", "main", false);
  const b = resolver.resolve("https://git.example/r.git", "main", false);
  await tick();
  assert.equal(calls.length, 1);
  calls[0]?.answer("c1");
  assert.deepEqual([(await a).commit, (await b).commit], ["c1", "c1"]);
  now = 999;
  assert.equal((await resolver.resolve("https://git.example/r.git", "main", false)).commit, "c1");
  assert.equal(calls.length, 1, "served from the cache");
  now = 1_000;
  const c = resolver.resolve("https://git.example/r.git", "main", false);
  await tick();
  assert.equal(calls.length, 2, "too old: asked again");
  calls[1]?.answer("c2");
  assert.equal((await c).commit, "c2");
});

test("mustResolveFresh: a new app, a new spec or a source never compared resolve afresh; a compared one does not", () => {
  const source = { repoURL: "https://git.example/r.git", targetRevision: "main", path: "app" };
  const compared = { observedGeneration: 3, sync: { status: "Synced" as const, comparedTo: { ...source } } };
  assert.equal(mustResolveFresh({ previous: {}, generation: 1, source }), true, "a new app");
  assert.equal(
    mustResolveFresh({ previous: compared, generation: 3, source }),
    false,
    "compared at this spec",
  );
  assert.equal(mustResolveFresh({ previous: compared, generation: 4, source }), true, "a new generation");
  for (const change of [
    { path: "other" },
    { targetRevision: "dev" },
    { repoURL: "https://git.example/s.git" },
    { chart: "c" },
  ]) {
    assert.equal(
      mustResolveFresh({ previous: compared, generation: 3, source: { ...source, ...change } }),
      true,
      JSON.stringify(change),
    );
  }
  const failedSoFar = { observedGeneration: 1 };
  assert.equal(mustResolveFresh({ previous: failedSoFar, generation: 1, source }), true, "never compared");
  const unset = {
    observedGeneration: 1,
    sync: { status: "Synced" as const, comparedTo: { repoURL: source.repoURL, path: "app" } },
  };
  assert.equal(
    mustResolveFresh({
      previous: unset,
      generation: 1,
      source: { repoURL: source.repoURL, targetRevision: "", path: "app" },
    }),
    false,
    "unset and empty targetRevision are the same",
  );
});
