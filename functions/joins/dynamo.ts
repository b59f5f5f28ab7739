/**
 * Joins in DynamoDB: one item per join (`pk` = `<profile>/<joinId>`) holding the whole state
 * as deflated JSON (`doc`, about half the bytes, and a write unit is per KB), its revision and
 * a `ttl` attribute for cleanup only (DynamoDB deletes expired items up to days late, so it is
 * never a timer). Every change is one PutItem
 * conditioned on the revision read, so arrivals, the claim of the outcome and the delivery mark
 * are each one conditional write: 4 writes for a 3-modality join.
 */
import { ConditionalCheckFailedException, type ConsumedCapacity, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { JoinState } from '../fusion/join/schema.js';
import { JOIN_TABLE } from '../layout.js';
import { type JoinStore, type StoredJoin, key, newStats } from './store.js';

export { JOIN_TABLE };

const PK = JOIN_TABLE.partitionKey;

/** Joins in one DynamoDB table. */
export class DynamoJoinStore implements JoinStore {
  readonly stats = newStats();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async get(profile: string, joinId: string): Promise<StoredJoin | undefined> {
    this.stats.reads++;
    const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { [PK]: { S: key(profile, joinId) } }, ConsistentRead: true }));
    const item = out.Item;
    if (!item?.doc?.B || !item.rev?.N) return undefined;
    return { state: JSON.parse(inflateRawSync(item.doc.B).toString('utf8')) as JoinState, rev: Number(item.rev.N) };
  }

  async put(state: JoinState, rev: number, expiresAt: number): Promise<boolean> {
    try {
      const out = await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            [PK]: { S: key(state.profile, state.joinId) },
            rev: { N: String(rev + 1) },
            [JOIN_TABLE.ttl]: { N: String(expiresAt) },
            doc: { B: deflateRawSync(JSON.stringify(state)) },
          },
          ...(rev === 0
            ? { ConditionExpression: `attribute_not_exists(${PK})` }
            : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': { N: String(rev) } } }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.count(out.ConsumedCapacity);
      this.stats.writes++;
      return true;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      this.stats.conflicts++;
      // A refused conditional write still consumes one write unit.
      this.stats.writeUnits += 1;
      return false;
    }
  }

  private count(c: ConsumedCapacity | undefined): void {
    this.stats.writeUnits += c?.CapacityUnits ?? 0;
  }
}

/** A DynamoDB client with a deadline per call (`FUSION_DYNAMODB_TIMEOUT_MS`, default 2000). */
export function dynamoClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  const ms = Number(env.FUSION_DYNAMODB_TIMEOUT_MS ?? 2000);
  return new DynamoDBClient({ requestHandler: new NodeHttpHandler({ connectionTimeout: ms, requestTimeout: ms }) });
}
