// API token records kept in one Secret (`tether-api-tokens`), a key per token id → JSON
// ApiTokenRecord (never the secret, only its hash). Every request reads the Secret, so a revocation
// written by any replica is refused at once everywhere. Writes use the resourceVersion and retry
// on conflict, so concurrent creates and revokes never lose each other. Every write also prunes the
// records of tokens that ended (revoked or expired) over a week ago, so the Secret cannot grow
// toward its 1 MiB limit with dead tokens.
import type { SecretStore } from "./admin.js";
import { storeErrorStatus } from "./admin.js";
import type { ApiTokenRecord, ApiTokenStore } from "./apitokens.js";
import { endedTokenIds } from "./apitokens.js";

export const API_TOKENS_SECRET = "tether-api-tokens";

function parseRecord(id: string, text: string | undefined): ApiTokenRecord | undefined {
  if (!text) return undefined;
  try {
    const record = JSON.parse(text) as ApiTokenRecord;
    return record && typeof record === "object" && record.id === id ? record : undefined;
  } catch {
    return undefined;
  }
}

export class SecretApiTokenStore implements ApiTokenStore {
  constructor(
    private readonly store: SecretStore,
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string): Promise<ApiTokenRecord | undefined> {
    return parseRecord(id, (await this.store.read(API_TOKENS_SECRET))?.data[id]);
  }

  /** Every readable record, oldest first. */
  async list(): Promise<ApiTokenRecord[]> {
    const data = (await this.store.read(API_TOKENS_SECRET))?.data ?? {};
    return Object.entries(data)
      .map(([id, text]) => parseRecord(id, text))
      .filter((r): r is ApiTokenRecord => r !== undefined)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async put(record: ApiTokenRecord): Promise<void> {
    await this.modify(() => record);
  }

  /**
   * Re-reads the Secret and writes `change(current)` under its id; `change` returning undefined
   * writes nothing. Returns what was written (or undefined).
   */
  async modify(
    change: (records: ApiTokenRecord[]) => ApiTokenRecord | undefined,
  ): Promise<ApiTokenRecord | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.store.read(API_TOKENS_SECRET);
      const records = Object.entries(existing?.data ?? {})
        .map(([id, text]) => parseRecord(id, text))
        .filter((r): r is ApiTokenRecord => r !== undefined);
      const record = change(records);
      if (!record) return undefined;
      // Unreadable keys are kept: nothing this store does not understand is lost.
      const data = { ...(existing?.data ?? {}) };
      for (const id of endedTokenIds(records, this.now())) delete data[id];
      data[record.id] = JSON.stringify(record);
      try {
        if (existing) await this.store.update(API_TOKENS_SECRET, data, existing.resourceVersion);
        else await this.store.create(API_TOKENS_SECRET, data);
        return record;
      } catch (error) {
        if (storeErrorStatus(error) !== 409) throw error;
      }
    }
    throw new Error(`gave up after 5 conflicting writes to Secret ${API_TOKENS_SECRET}`);
  }
}
