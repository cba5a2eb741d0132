// The kubeconfig the rest of Tether holds: it turns a request into one that reaches the current
// context's apiserver with its credentials, over keep-alive connections. One agent per distinct
// TLS material, so a rotated certificate or CA (files re-read every minute, as client-go does)
// gets a fresh connection pool and never a stale one. Exec plugins, auth providers and proxies are
// handed to @kubernetes/client-node (typed.ts), imported only when a kubeconfig uses them.
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { KubeCluster, KubeConfigData, KubeUser } from "./kubeconfig.js";
import { defaultKubeConfig, readKubeConfigFile } from "./kubeconfig.js";

/** How long file-backed credentials (token, certificates, CA) are used before being read again. */
const REREAD_MS = 60_000;
/** Distinct TLS material kept at once; beyond it the oldest agent is closed (rotation churn). */
const MAX_AGENTS = 8;

interface Material {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  readonly readAt: number;
  /** The agent for this material, found once per read instead of hashing on every request. */
  agent?: http.Agent;
}

type RequestOptions = https.RequestOptions;
type Delegate = { applyToHTTPSOptions(options: RequestOptions): Promise<void> };

const fromFileOrData = (file: string | undefined, data: string | undefined): Buffer | undefined =>
  file ? fs.readFileSync(file) : data ? Buffer.from(data, "base64") : undefined;

export class KubeConfig {
  private readonly agents = new Map<string, http.Agent>();
  private material: Material | undefined;
  private delegate: Promise<Delegate> | undefined;

  constructor(readonly data: KubeConfigData) {}

  static fromFile(file: string): KubeConfig {
    return new KubeConfig(readKubeConfigFile(file));
  }

  /** $KUBECONFIG, ~/.kube/config, then the Pod's service account. */
  static fromDefault(): KubeConfig {
    return new KubeConfig(defaultKubeConfig());
  }

  getCurrentContext(): string {
    return this.data.currentContext;
  }

  /** The current context's default namespace, if it names one. */
  get contextNamespace(): string | undefined {
    return this.data.contexts.find((c) => c.name === this.data.currentContext)?.namespace;
  }

  getCurrentCluster(): KubeCluster | undefined {
    const context = this.data.contexts.find((c) => c.name === this.data.currentContext);
    return context ? this.data.clusters.find((c) => c.name === context.cluster) : undefined;
  }

  getCurrentUser(): KubeUser | undefined {
    const context = this.data.contexts.find((c) => c.name === this.data.currentContext);
    return context ? this.data.users.find((u) => u.name === context.user) : undefined;
  }

  /** Sets the agent (TLS, keep-alive) and the credential headers for a request to the current cluster. */
  async applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const user = this.getCurrentUser();
    if (user?.delegated || cluster.proxyUrl) {
      this.delegate ??= this.clientNode();
      return (await this.delegate).applyToHTTPSOptions(options);
    }
    const material = this.currentMaterial(cluster, user);
    options.agent = material.agent ??= this.agentFor(cluster, material);
    if (Array.isArray(options.headers)) throw new Error("request headers must be an object");
    const headers = (options.headers ??= {}) as http.OutgoingHttpHeaders;
    if (material.token) headers["authorization"] = `Bearer ${material.token}`;
    else if (user?.username !== undefined) {
      headers["authorization"] =
        `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
    }
    if (user?.impersonate) headers["impersonate-user"] = user.impersonate;
  }

  private currentMaterial(cluster: KubeCluster, user: KubeUser | undefined): Material {
    const now = Date.now();
    if (this.material && now - this.material.readAt < REREAD_MS) return this.material;
    this.material = {
      ca: fromFileOrData(cluster.caFile, cluster.caData),
      cert: fromFileOrData(user?.certFile, user?.certData),
      key: fromFileOrData(user?.keyFile, user?.keyData),
      token: user?.token ?? (user?.tokenFile ? fs.readFileSync(user.tokenFile, "utf8").trim() : undefined),
      readAt: now,
    };
    return this.material;
  }

  private agentFor(cluster: KubeCluster, material: Material): http.Agent {
    const hash = createHash("sha256").update(
      JSON.stringify([cluster.server, cluster.skipTLSVerify, cluster.tlsServerName ?? ""]),
    );
    for (const part of [material.ca, material.cert, material.key]) hash.update("\0").update(part ?? "");
    const key = hash.digest("base64url");
    let agent = this.agents.get(key);
    if (agent) return agent;
    agent = cluster.server.startsWith("http:")
      ? new http.Agent({ keepAlive: true })
      : new https.Agent({
          keepAlive: true,
          ...(material.ca ? { ca: material.ca } : {}),
          ...(material.cert ? { cert: material.cert } : {}),
          ...(material.key ? { key: material.key } : {}),
          ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
          ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
        });
    this.agents.set(key, agent);
    if (this.agents.size > MAX_AGENTS) {
      const [oldestKey, oldest] = this.agents.entries().next().value as [string, http.Agent];
      this.agents.delete(oldestKey);
      oldest.destroy();
    }
    return agent;
  }

  /** client-node's KubeConfig for the same files and context, for what only it implements. */
  private async clientNode(): Promise<Delegate> {
    const { clientNodeKubeConfig } = await import("./typed.js");
    return clientNodeKubeConfig(this.data);
  }
}
