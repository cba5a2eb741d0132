// Sync-window math at fixed instants: which windows match an app, when one is active, Argo CD's
// deny-wins / allow-only-inside / manualSync rules, and when a closed app may sync again.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SyncWindow } from "../../src/model/appproject.js";
import {
  activeUntil,
  evaluateSyncWindows,
  matchingWindows,
  validateSyncWindows,
} from "../../src/engine/policy/syncwindows.js";

const target = {
  app: "web",
  namespace: "prod-web",
  server: "https://kubernetes.default.svc",
  cluster: "in-cluster",
};
const at = (iso: string) => new Date(iso);
const deny = (schedule: string, duration: string, extra: Partial<SyncWindow> = {}): SyncWindow => ({
  kind: "deny",
  schedule,
  duration,
  applications: ["*"],
  ...extra,
});
const allow = (schedule: string, duration: string, extra: Partial<SyncWindow> = {}): SyncWindow => ({
  kind: "allow",
  schedule,
  duration,
  applications: ["*"],
  ...extra,
});

describe("validateSyncWindows", () => {
  test("names the field at fault", () => {
    const errors = validateSyncWindows([
      { kind: "deny", schedule: "0 9 * * *", duration: "1h" },
      { kind: "maybe" as "deny", schedule: "0 9 * *", duration: "0s", timeZone: "Mars/Olympus" },
    ]);
    assert.equal(errors.length, 3);
    assert.match(errors[0] ?? "", /^spec\.syncWindows\[1\]\.kind "maybe"/);
    assert.match(errors[1] ?? "", /^spec\.syncWindows\[1\]\.duration "0s"/);
    for (const duration of ["-1h", "1d", "1 hour"]) {
      const [error] = validateSyncWindows([{ kind: "deny", schedule: "0 9 * * *", duration }]);
      assert.match(error ?? "", /^spec\.syncWindows\[0\]\.duration/, duration);
    }
    assert.match(errors[2] ?? "", /^spec\.syncWindows\[1\]\.timeZone "Mars\/Olympus"/);
    assert.match(validateSyncWindows([deny("0 9 * *", "1h")])[0] ?? "", /^spec\.syncWindows\[0\]\.schedule/);
  });
});

describe("matchingWindows", () => {
  test("by application, namespace or cluster glob; a window naming nothing matches nothing", () => {
    const windows: SyncWindow[] = [
      { kind: "deny", schedule: "* * * * *", duration: "1h", applications: ["web*"] },
      { kind: "deny", schedule: "* * * * *", duration: "1h", namespaces: ["prod-*"] },
      { kind: "deny", schedule: "* * * * *", duration: "1h", clusters: ["in-cluster"] },
      {
        kind: "deny",
        schedule: "* * * * *",
        duration: "1h",
        applications: ["api"],
        namespaces: ["staging-*"],
      },
      { kind: "deny", schedule: "* * * * *", duration: "1h" },
    ];
    assert.deepEqual(
      matchingWindows(windows, target).map((w) => w.index),
      [0, 1, 2],
    );
  });
});

describe("activeUntil", () => {
  test("active from each occurrence for its duration; end exclusive", () => {
    const w = deny("0 9 * * *", "1h");
    assert.equal(activeUntil(w, at("2025-03-10T08:59:59Z")), undefined);
    assert.equal(activeUntil(w, at("2025-03-10T09:00:00Z"))?.toISOString(), "2025-03-10T10:00:00.000Z");
    assert.equal(activeUntil(w, at("2025-03-10T09:59:59Z"))?.toISOString(), "2025-03-10T10:00:00.000Z");
    assert.equal(activeUntil(w, at("2025-03-10T10:00:00Z")), undefined);
  });
  test("a window longer than its period stays open across occurrences", () => {
    const w = deny("0 9,10 * * *", "90m"); // 09:00-10:30 and 10:00-11:30
    assert.equal(activeUntil(w, at("2025-03-10T09:10:00Z"))?.toISOString(), "2025-03-10T11:30:00.000Z");
    assert.equal(activeUntil(w, at("2025-03-10T10:45:00Z"))?.toISOString(), "2025-03-10T11:30:00.000Z");
  });
  test("a window spanning midnight, and in a time zone", () => {
    assert.ok(activeUntil(deny("0 22 * * *", "8h"), at("2025-03-11T05:00:00Z")));
    // 09:00 in Paris is 08:00 UTC in March (CET, UTC+1).
    const paris = deny("0 9 * * *", "1h", { timeZone: "Europe/Paris" });
    assert.equal(activeUntil(paris, at("2025-03-10T08:30:00Z"))?.toISOString(), "2025-03-10T09:00:00.000Z");
    assert.equal(activeUntil(paris, at("2025-03-10T09:30:00Z")), undefined);
  });
});

describe("evaluateSyncWindows", () => {
  test("no windows: open", () => {
    assert.deepEqual(evaluateSyncWindows(undefined, target, at("2025-03-10T09:00:00Z")), {
      autoAllowed: true,
      manualAllowed: true,
    });
  });

  test("an active deny window blocks automated and manual syncs and says when it ends", () => {
    const v = evaluateSyncWindows([deny("0 9 * * *", "2h")], target, at("2025-03-10T09:30:00Z"));
    assert.equal(v.autoAllowed, false);
    assert.equal(v.manualAllowed, false);
    assert.match(
      v.reason ?? "",
      /deny window spec\.syncWindows\[0\] \(deny "0 9 \* \* \*" for 2h\) is active/,
    );
    assert.equal(v.opensAt?.toISOString(), "2025-03-10T11:00:00.000Z");
  });

  test("manualSync on every active deny window lets manual syncs through", () => {
    const now = at("2025-03-10T09:30:00Z");
    assert.equal(
      evaluateSyncWindows([deny("0 9 * * *", "2h", { manualSync: true })], target, now).manualAllowed,
      true,
    );
    const both = [deny("0 9 * * *", "2h", { manualSync: true }), deny("0 8 * * *", "4h")];
    const v = evaluateSyncWindows(both, target, now);
    assert.equal(v.manualAllowed, false, "one deny window without manualSync refuses");
    assert.equal(v.opensAt?.toISOString(), "2025-03-10T12:00:00.000Z", "open once both have ended");
  });

  test("deny wins over an active allow window", () => {
    const v = evaluateSyncWindows(
      [allow("0 0 * * *", "24h"), deny("0 9 * * *", "1h")],
      target,
      at("2025-03-10T09:15:00Z"),
    );
    assert.equal(v.autoAllowed, false);
    assert.equal(v.opensAt?.toISOString(), "2025-03-10T10:00:00.000Z");
  });

  test("with allow windows, syncs only inside one; opensAt is the next start", () => {
    const windows = [allow("0 2 * * 1-5", "1h")]; // weekdays 02:00-03:00
    assert.equal(evaluateSyncWindows(windows, target, at("2025-03-10T02:30:00Z")).autoAllowed, true); // a Monday
    const closed = evaluateSyncWindows(windows, target, at("2025-03-14T03:30:00Z")); // a Friday, after
    assert.equal(closed.autoAllowed, false);
    assert.equal(closed.manualAllowed, false);
    assert.match(closed.reason ?? "", /no allow window is active/);
    assert.equal(closed.opensAt?.toISOString(), "2025-03-17T02:00:00.000Z", "the next Monday");
    assert.equal(
      evaluateSyncWindows(
        [allow("0 2 * * *", "1h", { manualSync: true })],
        target,
        at("2025-03-14T03:30:00Z"),
      ).manualAllowed,
      true,
    );
  });

  test("an allow window starting while a deny is active: open when the deny ends", () => {
    const windows = [allow("0 10 * * *", "4h"), deny("0 9 * * *", "2h")];
    const v = evaluateSyncWindows(windows, target, at("2025-03-10T09:30:00Z"));
    assert.equal(v.opensAt?.toISOString(), "2025-03-10T11:00:00.000Z");
  });

  test("windows that do not match the app do not count", () => {
    const v = evaluateSyncWindows(
      [deny("* * * * *", "1h", { applications: ["api"] })],
      target,
      at("2025-03-10T09:30:00Z"),
    );
    assert.equal(v.autoAllowed, true);
  });
});
