// Sync waves and hooks as annotations say them. Tether's own keys come first; Argo CD's and Helm's
// are read too so charts and manifests written for them keep their order and hooks unchanged.
// Pure: a bad value is an error that names the object and the annotation, never a guess.
import type { HookPhase } from "../../model/application.js";
import { RenderError } from "../errors.js";
import {
  SYNC_WAVE_ANNOTATION,
  HOOK_ANNOTATION,
  HOOK_DELETE_POLICY_ANNOTATION,
} from "../../model/contract.js";

export type { HookPhase };

export type HookDeletePolicy = "BeforeHookCreation" | "HookSucceeded" | "HookFailed";

export interface SyncAnnotations {
  readonly wave: number;
  /** Empty: an ordinary resource. `Skip`-annotated objects are not rendered at all (see isSkipped). */
  readonly hooks: readonly HookPhase[];
  readonly deletePolicies: readonly HookDeletePolicy[];
}

interface Annotated {
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

const WAVE_KEYS = [SYNC_WAVE_ANNOTATION, "argocd.argoproj.io/sync-wave", "helm.sh/hook-weight"];
const HOOK_KEYS = [HOOK_ANNOTATION, "argocd.argoproj.io/hook", "helm.sh/hook"];
const POLICY_KEYS = [
  HOOK_DELETE_POLICY_ANNOTATION,
  "argocd.argoproj.io/hook-delete-policy",
  "helm.sh/hook-delete-policy",
];

const PHASES: Readonly<Record<string, HookPhase | "Skip">> = {
  PreSync: "PreSync",
  Sync: "Sync",
  PostSync: "PostSync",
  SyncFail: "SyncFail",
  Skip: "Skip",
  // Helm's names: an install and an upgrade are both a sync to Tether.
  "pre-install": "PreSync",
  "pre-upgrade": "PreSync",
  "post-install": "PostSync",
  "post-upgrade": "PostSync",
};

const POLICIES: Readonly<Record<string, HookDeletePolicy>> = {
  BeforeHookCreation: "BeforeHookCreation",
  HookSucceeded: "HookSucceeded",
  HookFailed: "HookFailed",
  "before-hook-creation": "BeforeHookCreation",
  "hook-succeeded": "HookSucceeded",
  "hook-failed": "HookFailed",
  // The short names of Tether's issue tracker, accepted as spelled there.
  "before-creation": "BeforeHookCreation",
  "on-success": "HookSucceeded",
  "on-failure": "HookFailed",
};

function describe(o: Annotated): string {
  const ns = o.metadata?.namespace;
  return `${o.kind ?? "object"} ${ns ? `${ns}/` : ""}${o.metadata?.name ?? ""}`;
}

function first(o: Annotated, keys: readonly string[]): { key: string; value: string } | undefined {
  for (const key of keys) {
    const value = o.metadata?.annotations?.[key];
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Helm hooks that Tether has no phase for (test, rollback, delete): not applied by a sync. */
const HELM_ONLY = new Set([
  "test",
  "test-success",
  "test-failure",
  "pre-delete",
  "post-delete",
  "pre-rollback",
  "post-rollback",
]);

/** Whether the object must not be applied at all (`hook: Skip`, or a Helm hook of a kind Tether does not run). */
export function isSkipped(object: Annotated): boolean {
  const hook = first(object, HOOK_KEYS);
  if (!hook) return false;
  const values = list(hook.value);
  return values.length > 0 && values.every((v) => PHASES[v] === "Skip" || HELM_ONLY.has(v));
}

/** Reads wave, hook phases and delete policies. Throws a RenderError naming the object and annotation. */
export function readSyncAnnotations(object: Annotated): SyncAnnotations {
  const waveEntry = first(object, WAVE_KEYS);
  let wave = 0;
  if (waveEntry) {
    const text = waveEntry.value.trim();
    if (!/^[+-]?\d{1,9}$/.test(text)) {
      throw new RenderError(
        "InvalidManifest",
        `${describe(object)}: annotation ${waveEntry.key} must be an integer, got "${waveEntry.value}"`,
      );
    }
    wave = Number(text);
  }
  const hookEntry = first(object, HOOK_KEYS);
  const hooks: HookPhase[] = [];
  for (const value of hookEntry ? list(hookEntry.value) : []) {
    const phase = PHASES[value];
    if (phase === undefined && !HELM_ONLY.has(value)) {
      throw new RenderError(
        "InvalidManifest",
        `${describe(object)}: annotation ${hookEntry?.key} has unknown hook "${value}" (expected PreSync, Sync, PostSync, SyncFail or Skip)`,
      );
    }
    if (phase && phase !== "Skip" && !hooks.includes(phase)) hooks.push(phase);
  }
  const policyEntry = first(object, POLICY_KEYS);
  const deletePolicies: HookDeletePolicy[] = [];
  for (const value of policyEntry ? list(policyEntry.value) : []) {
    const policy = POLICIES[value];
    if (!policy) {
      throw new RenderError(
        "InvalidManifest",
        `${describe(object)}: annotation ${policyEntry?.key} has unknown policy "${value}" (expected BeforeHookCreation, HookSucceeded or HookFailed)`,
      );
    }
    if (!deletePolicies.includes(policy)) deletePolicies.push(policy);
  }
  // Argo CD's default: a hook replaces its previous run, so a Job of the same name can be created again.
  if (hooks.length > 0 && deletePolicies.length === 0) deletePolicies.push("BeforeHookCreation");
  return { wave, hooks, deletePolicies };
}
