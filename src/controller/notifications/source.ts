// Reads the `tether-notifications` ConfigMap and the Secrets it references, with a short cache, so
// a change takes effect within `ttlMs` without a restart. Needs only `get` on ConfigMaps and
// Secrets of the system namespace (the controller's existing rights). Problems are logged once per
// distinct problem, naming the key, field, target and Secret, never a Secret's value.
import type { CoreApi } from "../../kube/apis.js";
import { errorStatus } from "../../kube/client.js";
import type { NotificationConfig, TargetConfig, ValueSource } from "./config.js";
import {
  EMPTY_CONFIG,
  formatConfigError,
  NOTIFICATIONS_CONFIGMAP,
  parseNotificationConfig,
} from "./config.js";
import { errorMessage } from "../../lib/errormessage.js";

export interface ResolvedTarget {
  readonly name: string;
  readonly type: TargetConfig["type"];
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export interface ResolvedConfig {
  readonly config: NotificationConfig;
  /** Targets whose URL and headers could be resolved. */
  readonly targets: ReadonlyMap<string, ResolvedTarget>;
}

export interface ConfigSource {
  load(): Promise<ResolvedConfig>;
  /** Replaces every URL and Secret-derived value seen so far with `***`. */
  redact(text: string): string;
}

const EMPTY: ResolvedConfig = { config: EMPTY_CONFIG, targets: new Map() };
const MAX_REMEMBERED_SECRETS = 1_000;

export function notificationConfigSource(options: {
  readonly core: CoreApi;
  readonly namespace: string;
  readonly ttlMs: number;
  readonly log: (line: string) => void;
}): ConfigSource {
  const { core, namespace } = options;
  const sensitive = new Set<string>();
  let cached: { at: number; value: Promise<ResolvedConfig> } | undefined;
  let lastProblems = "";

  const remember = (value: string) => {
    // Very short values (a header like "1") would redact ordinary words; they are not credentials.
    if (value.length < 6) return;
    if (sensitive.size >= MAX_REMEMBERED_SECRETS) sensitive.delete(sensitive.values().next().value as string);
    sensitive.add(value);
  };
  const redact = (text: string) => {
    let out = text;
    for (const value of sensitive) out = out.split(value).join("***");
    return out;
  };

  const readSecret = async (name: string, secrets: Map<string, Record<string, string> | Error>) => {
    const known = secrets.get(name);
    if (known) return known;
    let result: Record<string, string> | Error;
    try {
      const secret = await core.readNamespacedSecret({ name, namespace });
      result = Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
      );
    } catch (error) {
      const status = errorStatus(error);
      result = new Error(
        status === 404 ? "not found" : status === 403 ? "forbidden" : `cannot be read (${status ?? "error"})`,
      );
    }
    secrets.set(name, result);
    return result;
  };

  const valueOf = async (
    source: ValueSource,
    secrets: Map<string, Record<string, string> | Error>,
  ): Promise<string | Error> => {
    if ("value" in source) return source.value;
    const data = await readSecret(source.secret, secrets);
    if (data instanceof Error) return new Error(`Secret ${namespace}/${source.secret} ${data.message}`);
    const value = data[source.key];
    return value ? value : new Error(`Secret ${namespace}/${source.secret} has no key "${source.key}"`);
  };

  const read = async (): Promise<ResolvedConfig> => {
    let data: Record<string, string>;
    try {
      const cm = await core.readNamespacedConfigMap({ name: NOTIFICATIONS_CONFIGMAP, namespace });
      data = cm.data ?? {};
    } catch (error) {
      const status = errorStatus(error);
      if (status === 404) {
        lastProblems = "";
        return EMPTY; // No ConfigMap: notifications are off.
      }
      throw new Error(
        `reading ConfigMap ${namespace}/${NOTIFICATIONS_CONFIGMAP}: ${status === 403 ? "forbidden" : String(status ?? error)}`,
      );
    }
    const { config, errors } = parseNotificationConfig(data);
    const problems = errors.map((e) => formatConfigError(e, `${namespace}/${NOTIFICATIONS_CONFIGMAP}`));
    const secrets = new Map<string, Record<string, string> | Error>();
    const targets = new Map<string, ResolvedTarget>();
    for (const target of config.targets) {
      const url = await valueOf(target.url, secrets);
      if (typeof url === "string") remember(url);
      const headers: Record<string, string> = { ...target.headers };
      let failure = url instanceof Error ? url : undefined;
      if (target.headersSecret && !failure) {
        const data = await readSecret(target.headersSecret, secrets);
        if (data instanceof Error)
          failure = new Error(`Secret ${namespace}/${target.headersSecret} ${data.message}`);
        else
          for (const [k, v] of Object.entries(data)) {
            remember(v);
            headers[k] = v;
          }
      }
      if (typeof url === "string" && !/^https?:\/\//.test(url)) failure = new Error("the URL is not http(s)");
      if (failure || typeof url !== "string") {
        problems.push(
          `ConfigMap ${namespace}/${NOTIFICATIONS_CONFIGMAP}, key "targets", target ${target.name}: ${failure?.message ?? "no URL"}`,
        );
        continue;
      }
      targets.set(target.name, {
        name: target.name,
        type: target.type,
        url,
        headers,
        timeoutMs: target.timeoutMs,
        maxAttempts: target.maxAttempts,
      });
    }
    const summary = problems.join("\n");
    if (summary !== lastProblems) {
      lastProblems = summary;
      for (const p of problems) options.log(`notifications: ${redact(p)} (entry skipped)`);
    }
    return { config, targets };
  };

  return {
    redact,
    load() {
      const now = Date.now();
      if (!cached || now - cached.at >= options.ttlMs) {
        const value = read().catch((error: unknown) => {
          const text = `notifications: ${redact(errorMessage(error))}`;
          if (text !== lastProblems) options.log(text);
          lastProblems = text;
          return EMPTY;
        });
        cached = { at: now, value };
      }
      return cached.value;
    },
  };
}
