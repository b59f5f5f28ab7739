/**
 * A real DynamoDB protocol server for tests: dynalite, in memory, on 127.0.0.1 and an
 * ephemeral port, with the joins table created (the key schema of the CDK stack's table).
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { JOIN_TABLE } from '../../functions/layout.js';

/** A running dynalite with a joins table. */
export interface DynamoFixture {
  endpoint: string;
  table: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 port 0 and creates `table`. */
export async function startDynamo({ table = 'fusion-joins' }: { table?: string } = {}): Promise<DynamoFixture> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: JOIN_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: JOIN_TABLE.partitionKey, KeyType: 'HASH' }],
    }),
  );
  return {
    endpoint,
    table,
    client,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
