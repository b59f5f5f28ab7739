/**
 * `npx fusion batch --remote`: starts the deployed large-batch state machine (a Step Functions
 * Distributed Map over a JSONL object in the data bucket) instead of fusing locally.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type FieldError, InvalidRequestError, STRATEGY_NAMES } from '../fusion/index.js';

/** Keys the state machine may read: every batch input prefix (`batch/in/`, `batch/in-large/`, ...). */
export const REMOTE_INPUT_PREFIX = 'batch/in';
/** Where the state machine writes results: `<prefix>/<map run id>/SUCCEEDED_0.jsonl` and so on. */
export const REMOTE_OUTPUT_PREFIX = 'batch/out/large';

/** What to fuse: the deployed state machine (stack output `LargeBatchStateMachineArn`) and the object. */
export interface RemoteBatch {
  stateMachineArn: string;
  /** The stack's data bucket (stack output `BucketName`); the state machine refuses any other. */
  bucket: string;
  /** A JSONL object under `batch/in*`, one fusion request per line. */
  key: string;
  strategy: string;
}

/** A started execution and where its results will appear. */
export interface RemoteBatchStarted {
  executionArn: string;
  startDate: Date | undefined;
  /** `s3://<bucket>/batch/out/large/`: the map run writes under a sub-prefix named by its id. */
  results: string;
}

const ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Starts a large-batch execution with input `{"bucket", "key", "strategy"}`. Everything is checked
 * before AWS is called (an invalid request throws `InvalidRequestError` listing each field).
 * `client` defaults to an SFN client for the state machine's own region.
 */
export async function startRemoteBatch(batch: RemoteBatch, client?: SFNClient): Promise<RemoteBatchStarted> {
  const region = validate(batch);
  const sfn = client ?? new SFNClient({ region });
  const out = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: batch.stateMachineArn,
      name: executionName(batch),
      input: JSON.stringify({ bucket: batch.bucket, key: batch.key, strategy: batch.strategy }),
    }),
  );
  if (!out.executionArn) throw new Error('Step Functions answered StartExecution without an execution ARN.');
  return { executionArn: out.executionArn, startDate: out.startDate, results: `s3://${batch.bucket}/${REMOTE_OUTPUT_PREFIX}/` };
}

/** Checks every field and returns the state machine's region. */
function validate(batch: RemoteBatch): string {
  const errors: FieldError[] = [];
  const arn = ARN.exec(batch.stateMachineArn ?? '');
  if (!arn) errors.push({ path: 'stateMachineArn', message: 'use the stack output LargeBatchStateMachineArn (arn:aws:states:<region>:<account>:stateMachine:<name>)' });
  if (!BUCKET.test(batch.bucket ?? '')) errors.push({ path: 'bucket', message: 'use the stack output BucketName' });
  if (!batch.key?.startsWith(REMOTE_INPUT_PREFIX) || !batch.key.endsWith('.jsonl'))
    errors.push({ path: 'key', message: `upload the JSONL file under ${REMOTE_INPUT_PREFIX}* (for example batch/in-remote/requests.jsonl) and name it *.jsonl` });
  if (!(STRATEGY_NAMES as readonly string[]).includes(batch.strategy))
    errors.push({ path: 'strategy', message: `use one of: ${STRATEGY_NAMES.join(', ')}` });
  if (errors.length) throw new InvalidRequestError(errors);
  return arn![1]!;
}

/** A readable, unique execution name: `<strategy>-<file>-<time>` (Step Functions allows 80 of [A-Za-z0-9_-]). */
function executionName(batch: RemoteBatch): string {
  const file = batch.key.slice(batch.key.lastIndexOf('/') + 1).replace(/\.jsonl$/, '').replace(/[^A-Za-z0-9_-]+/g, '-');
  const suffix = `-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return `${batch.strategy}-${file}`.slice(0, 80 - suffix.length) + suffix;
}
