/**
 * AWS Signature Version 4 for API Gateway (`execute-api`), with the AWS SDK's own signer.
 * Exported so that a caller can check a signature, or sign a request it sends itself.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials, as every AWS SDK and credential provider returns them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Credentials, or a function that returns them (called before each request; it may cache). */
export type CredentialsSource = Credentials | (() => Promise<Credentials>);

/** A request to sign. `url` is absolute; `body` is the exact bytes or text that will be sent. */
export interface RequestToSign {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Where and when to sign. */
export interface SigningOptions {
  credentials: CredentialsSource;
  region: string;
  /** Default `execute-api`. */
  service?: string;
  /** Signing time (default now); fixed only to reproduce a known signature. */
  date?: Date;
}

/**
 * The request's headers plus `host`, `x-amz-date`, `x-amz-security-token` (with a session
 * token) and `authorization`. No `x-amz-content-sha256` header: API Gateway needs none, and
 * without it the signature equals botocore's `SigV4Auth` and the AWS test suite's.
 */
export async function signRequest(req: RequestToSign, opts: SigningOptions): Promise<Record<string, string>> {
  const url = new URL(req.url);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({
    credentials: opts.credentials,
    region: opts.region,
    service: opts.service ?? 'execute-api',
    sha256: Sha256,
    applyChecksum: false,
  });
  const headers: Record<string, string> = { ...lowerCase(req.headers), host: url.host };
  const signed = await signer.sign(
    {
      method: req.method.toUpperCase(),
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers,
      body: req.body,
    },
    opts.date ? { signingDate: opts.date } : {},
  );
  return signed.headers;
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
