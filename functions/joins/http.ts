/**
 * The HTTP handler of joins: `PUT /v1/joins/{profile}/{joinId}/{modality}` (one prediction)
 * and `GET /v1/joins/{profile}/{joinId}` (the join's state). Path segments are read from the
 * raw path, so the handler answers the same behind API Gateway and the local server.
 */
import { InvalidRequestError, NotFoundError } from '../fusion/errors.js';
import { invocationEnv } from '../http/config.js';
import { httpStack } from '../http/handler.js';
import type { HttpHandler } from '../http/handler.js';
import { type HttpEvent, type HttpResult, allowMethods, bodyLimit, json, jsonBody, requestMethod, requestPath } from '../http/middleware.js';
import { DECISION_ID_HEADER } from '../loop/record.js';
import { joinRuntime } from './config.js';

/** The route templates this handler serves. */
export const JOIN_PATHS = { arrive: '/v1/joins/{profile}/{joinId}/{modality}', status: '/v1/joins/{profile}/{joinId}' } as const;

function segments(event: HttpEvent): string[] {
  const parts = requestPath(event).split('/').slice(3); // '', 'v1', 'joins'
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    throw new InvalidRequestError([{ path: 'path', message: 'the path has an invalid percent-escape' }]);
  }
}

/**
 * A join's decision id is its joinId: an `x-fusion-decision-id` request header may only repeat
 * it (a client that sends its decision ids everywhere), and every 2xx answer carries it.
 */
function checkDecisionIdHeader(event: HttpEvent, joinId: string): void {
  const header = event.headers?.[DECISION_ID_HEADER];
  if (header !== undefined && header !== joinId)
    throw new InvalidRequestError([{ path: DECISION_ID_HEADER, message: `a join's decision id is its joinId ("${joinId.slice(0, 128)}"); send that in the x-fusion-decision-id header, or leave the header out` }]);
}

function withDecisionId(response: HttpResult, joinId: string): HttpResult {
  if (response.statusCode < 300) response.headers[DECISION_ID_HEADER] = joinId;
  return response;
}

/** The joins handler (one function for both routes). */
export function joinsHandler(): HttpHandler {
  const body = jsonBody();
  return httpStack()
    .use(allowMethods(['GET', 'PUT']))
    .use(bodyLimit())
    .use({ before: (request) => (requestMethod(request.event) === 'PUT' ? body.before!(request) : undefined) })
    .handler(async (event) => {
      const { service } = joinRuntime(invocationEnv());
      const parts = segments(event);
      const method = requestMethod(event);
      if (method === 'PUT' && parts.length === 3) {
        checkDecisionIdHeader(event, parts[1]!);
        const reply = await service.arrive(parts[0]!, parts[1]!, parts[2]!, event.body);
        return withDecisionId(json(reply.status, reply.body, reply.status === 409 ? 'application/problem+json' : 'application/json'), parts[1]!);
      }
      if (method === 'GET' && parts.length === 2) {
        checkDecisionIdHeader(event, parts[1]!);
        const reply = await service.status(parts[0]!, parts[1]!);
        return withDecisionId(json(reply.status, reply.body), parts[1]!);
      }
      throw new NotFoundError(`No route ${method} ${requestPath(event)}. Joins: PUT ${JOIN_PATHS.arrive}, GET ${JOIN_PATHS.status}.`);
    }) as HttpHandler;
}
