/**
 * Where joins are kept: one record per `(profile, joinId)`, replaced as a whole by a
 * conditional write on its revision, so concurrent or repeated events are serialised and each
 * join has exactly one outcome. Two implementations: in memory (the embedded default) and
 * DynamoDB (`dynamo.ts`).
 */
import { UnavailableError } from '../fusion/errors.js';
import type { JoinState } from '../fusion/join/schema.js';

/** A stored join and its revision (1 after the first write). */
export interface StoredJoin {
  state: JoinState;
  rev: number;
}

/** Counters a store keeps, for the bench and the tests. */
export interface JoinStoreStats {
  reads: number;
  writes: number;
  /** Conditional writes refused because another writer came first. */
  conflicts: number;
  /** Write capacity units consumed (DynamoDB only; each failed conditional write counts too). */
  writeUnits: number;
}

/** The storage a join service needs. */
export interface JoinStore {
  /** The join, read consistently, or undefined. */
  get(profile: string, joinId: string): Promise<StoredJoin | undefined>;
  /**
   * Writes `state` if the stored revision is still `rev` (`0`: the join must not exist yet).
   * Resolves false, changing nothing, when another write came first. `expiresAt` (epoch
   * seconds) is for cleanup only.
   */
  put(state: JoinState, rev: number, expiresAt: number): Promise<boolean>;
  readonly stats: JoinStoreStats;
}

/** Fresh counters. */
export function newStats(): JoinStoreStats {
  return { reads: 0, writes: 0, conflicts: 0, writeUnits: 0 };
}

/** Default most joins a memory store holds. */
export const MEMORY_MAX_JOINS = 100_000;

/**
 * Joins in this process's memory. Each `put` checks and writes in one synchronous step, so it
 * is exactly as strict as DynamoDB's conditional write. States are stored as JSON text, so no
 * caller can change a stored join by mutating an object. Expired joins are dropped as new ones
 * are written; when `maxJoins` are held, the oldest delivered ones make room, and a new join is
 * refused (503) only when every held join is still open or undelivered.
 */
export class MemoryJoinStore implements JoinStore {
  private readonly joins = new Map<string, { text: string; rev: number; expiresAt: number; done: boolean }>();
  readonly stats = newStats();
  private sinceSweep = 0;

  constructor(
    private readonly nowSeconds: () => number = () => Date.now() / 1000,
    private readonly maxJoins = MEMORY_MAX_JOINS,
  ) {}

  get(profile: string, joinId: string): Promise<StoredJoin | undefined> {
    this.stats.reads++;
    const found = this.joins.get(key(profile, joinId));
    return Promise.resolve(found ? { state: JSON.parse(found.text) as JoinState, rev: found.rev } : undefined);
  }

  put(state: JoinState, rev: number, expiresAt: number): Promise<boolean> {
    const k = key(state.profile, state.joinId);
    const current = this.joins.get(k)?.rev ?? 0;
    if (current !== rev) {
      this.stats.conflicts++;
      return Promise.resolve(false);
    }
    if (rev === 0 && this.joins.size >= this.maxJoins && !this.makeRoom()) {
      return Promise.reject(new UnavailableError(`The in-memory join store holds ${this.maxJoins} open joins; retry when some have closed, or use DynamoDB (FUSION_JOINS_TABLE).`));
    }
    this.joins.set(k, { text: JSON.stringify(state), rev: rev + 1, expiresAt, done: state.delivered });
    this.stats.writes++;
    if (++this.sinceSweep >= 1000) this.sweep();
    return Promise.resolve(true);
  }

  /** How many joins are held. */
  get size(): number {
    return this.joins.size;
  }

  /** Drops expired joins, then the oldest delivered ones; whether there is room now. */
  private makeRoom(): boolean {
    this.sweep();
    for (const [k, v] of this.joins) {
      if (this.joins.size < this.maxJoins) break;
      if (v.done) this.joins.delete(k);
    }
    return this.joins.size < this.maxJoins;
  }

  private sweep(): void {
    this.sinceSweep = 0;
    const now = this.nowSeconds();
    for (const [k, v] of this.joins) if (v.expiresAt < now) this.joins.delete(k);
  }
}

/** The store key of a join: profile names cannot contain "/", so this is unambiguous. */
export function key(profile: string, joinId: string): string {
  return `${profile}/${joinId}`;
}
