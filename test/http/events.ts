/**
 * Complete API Gateway events as AWS delivers them (HTTP API payload 2.0 with IAM
 * authorisation, and a REST API proxy event), plus a Lambda context.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';

let counter = 0;

/** An HTTP API v2 event for `method path` with `body` (a string is sent as is, anything else as JSON). */
export function eventV2(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const routeKey = `${method} ${path}`;
  const requestId = `JKJaXmPLvHcESHA=${++counter}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'accept-encoding': 'gzip, deflate, br',
      ...(text !== undefined ? { 'content-length': String(Buffer.byteLength(text)), 'content-type': 'application/json' } : {}),
      host: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'modality-service/1.4 (aws-sdk-js/3.1175.0)',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20261127T120000Z',
      'x-amzn-trace-id': 'Root=1-6747a4c0-0a1b2c3d4e5f60718293a4b5',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLEKEY',
          accountId: '123456789012',
          callerId: 'AROAEXAMPLEROLE:text-model',
          cognitoIdentity: null,
          principalOrgId: 'o-example',
          userArn: 'arn:aws:sts::123456789012:assumed-role/text-model/session',
          userId: 'AROAEXAMPLEROLE:text-model',
        },
      },
      domainName: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'modality-service/1.4 (aws-sdk-js/3.1175.0)' },
      requestId,
      routeKey,
      stage: '$default',
      time: '27/Nov/2026:12:00:00 +0000',
      timeEpoch: 1795694400000,
    },
    ...(text !== undefined ? { body: text } : {}),
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

/** A REST API (v1) proxy event for `method path` with a JSON body. */
export function eventV1(method: string, path: string, body?: unknown): APIGatewayProxyEvent {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    Accept: '*/*',
    'Content-Type': 'application/json',
    Host: 'f9e8d7c6b5.execute-api.eu-west-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    'X-Amzn-Trace-Id': 'Root=1-6747a4c0-1a2b3c4d5e6f708192a3b4c5',
    'X-Forwarded-For': '198.51.100.4',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'f9e8d7c6b5',
      authorizer: null,
      domainName: 'f9e8d7c6b5.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'f9e8d7c6b5',
      extendedRequestId: 'c6af9ac6-EXAMPLE=',
      httpMethod: method,
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null, cognitoIdentityPoolId: null,
        principalOrgId: null, sourceIp: '198.51.100.4', user: null, userAgent: 'curl/8.5.0', userArn: null,
      },
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: `c6af9ac6-7b61-11e6-9a41-93e8deadbeef-${++counter}`,
      requestTime: '27/Nov/2026:12:00:00 +0000',
      requestTimeEpoch: 1795694400000,
      resourceId: 'abc123',
      resourcePath: path,
      stage: 'prod',
    },
    body: text,
    isBase64Encoded: false,
  };
}

/** A Lambda context as the runtime passes it. */
export function context(functionName = 'late-fusion-average'): Context {
  const noop = () => {};
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `c6af9ac6-7b61-11e6-9a41-${String(++counter).padStart(12, '0')}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: noop,
    fail: noop,
    succeed: noop,
  };
}
