/**
 * Where `fusion dataset` and `fusion monitor` read the decision log and feedback: the bucket
 * (`--bucket`, or FUSION_BUCKET under FUSION_PREFIX) in AWS, or the local store that `npm start`
 * writes (FUSION_STORE_DIR, default .fusion/store/).
 */
import { type LogSource, bucketSource, directorySource } from '../loop/logs.js';
import { LOCAL_STORE_DIR } from '../store/index.js';
import { s3Client } from '../store/s3-client.js';

/** The log source for `bucket` (or the local store without one), and its location for messages. */
export function logSource(env: NodeJS.ProcessEnv, bucket: string | undefined): { source: LogSource; where: string } {
  if (bucket) {
    const prefix = env.FUSION_PREFIX ?? '';
    return { source: bucketSource(s3Client(env, 10_000), bucket, prefix), where: `s3://${bucket}/${prefix}` };
  }
  const dir = env.FUSION_STORE_DIR ?? LOCAL_STORE_DIR;
  return { source: directorySource(dir), where: `${dir}/` };
}
