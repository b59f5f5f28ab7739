/**
 * Least-privilege S3 access, prefix by prefix. Every object statement names its key prefixes;
 * nothing here grants `s3:*` or uses `Resource: "*"`.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** Object reads, including old versions (profile pinning reads `name@versionId`). */
const READ = ['s3:GetObject', 's3:GetObjectVersion'];
/** Object writes, with the multipart calls large uploads need. */
const WRITE = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];

/** What a principal may do under which key prefixes of the bucket. */
export interface PrefixGrant {
  read?: readonly string[];
  write?: readonly string[];
  /** `s3:DeleteObject` (a stale `.errors.jsonl` beside a rerun's clean output). */
  remove?: readonly string[];
  /**
   * Key prefixes `s3:ListBucket` may name (an `s3:prefix` condition: key names under them only,
   * never contents, never the whole bucket). A function reading a key that may be missing needs
   * its prefix here: S3 answers a missing key with 404 only to a caller that may list it (the
   * store also reads a 403 as "missing or not readable", in case the condition does not count).
   */
  list?: readonly string[];
}

/**
 * Grants `principal` object reads and writes under the given prefixes of `bucket`, and
 * acknowledges cdk-nag's wildcard finding for each prefix (a `prefix/*` resource is the narrowest
 * S3 allows for keys that do not exist yet) on `owner`, the construct holding the policy.
 */
export function grantPrefixes(principal: IGrantable, owner: IConstruct, bucket: Bucket, grant: PrefixGrant): void {
  const statements: PolicyStatement[] = [];
  if (grant.read?.length) statements.push(new PolicyStatement({ actions: READ, resources: grant.read.map((p) => bucket.arnForObjects(`${p}*`)) }));
  if (grant.write?.length) statements.push(new PolicyStatement({ actions: WRITE, resources: grant.write.map((p) => bucket.arnForObjects(`${p}*`)) }));
  if (grant.remove?.length) statements.push(new PolicyStatement({ actions: ['s3:DeleteObject'], resources: grant.remove.map((p) => bucket.arnForObjects(`${p}*`)) }));
  if (grant.list?.length)
    statements.push(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': grant.list.map((p) => `${p}*`) } } }),
    );
  for (const statement of statements) principal.grantPrincipal.addToPrincipalPolicy(statement);

  const arn = `<${Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId)}.Arn>`;
  for (const prefix of new Set([...(grant.read ?? []), ...(grant.write ?? []), ...(grant.remove ?? [])]))
    Validations.of(owner).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arn}/${prefix}*]`,
      reason: `Scoped to the ${prefix} key prefix: objects there are created at run time, so a prefix wildcard is the narrowest resource.`,
    });
}

/** Acknowledges several cdk-nag findings on one construct, each with its reason. */
export function acknowledge(scope: IConstruct, findings: Record<string, string>): void {
  for (const [id, reason] of Object.entries(findings)) Validations.of(scope).acknowledge({ id, reason });
}
