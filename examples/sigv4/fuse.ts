/**
 * Calls the deployed fusion API with an IAM (SigV4) signature, from Node.js 20+ or any
 * runtime with fetch. Needs: npm i @smithy/signature-v4 @aws-crypto/sha256-js @aws-sdk/credential-providers
 * Run: FUSION_API_URL=<the ApiUrl output> AWS_REGION=<region> npx tsx examples/sigv4/fuse.ts
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';

/** Signs with the caller's credentials (environment, profile, SSO or the Lambda/ECS/EC2 role). */
const signer = new SignatureV4({
  service: 'execute-api',
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: fromNodeProviderChain(),
  sha256: Sha256,
});

/** POSTs a fusion request to `apiUrl` (the stack's ApiUrl output), signed; returns the decision. */
export async function fuse(apiUrl: string, strategy: string, request: unknown): Promise<unknown> {
  const url = new URL(`v1/fuse/${strategy}`, apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);
  const body = JSON.stringify(request);
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}: ${await response.text()}`);
  return response.json();
}

if (import.meta.main) {
  const decision = await fuse(process.env.FUSION_API_URL!, 'average', {
    profile: 'sentiment',
    predictions: { text: { probabilities: [0.05, 0.15, 0.8] }, audio: { logits: [-1.2, 0.3, 2.0] } },
  });
  console.log(JSON.stringify(decision));
}
