/**
 * The `x-fusion-decision-id` header in the OpenAPI document, defined once: a request parameter
 * and a response header (`components.parameters` and `components.headers`), which each route
 * that makes a decision refers to (the fusion routes and the join routes; not feedback, which
 * names a decision in its body and makes none).
 */
import { DECISION_ID_PATTERN } from '../fusion/schemas.js';
import { DECISION_ID_HEADER } from '../loop/record.js';

/** The component name both definitions go by. */
const NAME = 'DecisionId';

const schema = { type: 'string', pattern: DECISION_ID_PATTERN.source, maxLength: 128 };

/** `components.parameters` and `components.headers` entries of the document. */
export const DECISION_ID_COMPONENTS = {
  parameters: {
    [NAME]: {
      name: DECISION_ID_HEADER,
      in: 'header',
      required: false,
      description:
        'Your own id for this decision (1 to 128 letters, digits, ".", "_", ":" or "-"), so that a retry keeps it and lands on the same canary variant. On a fusion route it must equal the body\'s `decisionId` when both are sent (else a 400 naming `decisionId`); a batch\'s item `i` gets `<id>:<i>` unless it sends its own. On a join route it must equal the `joinId` (a join\'s decision id is its joinId). An invalid value is a 400 naming the header.',
      schema,
    },
  },
  headers: {
    [NAME]: {
      description: 'The decision id of this answer: the request\'s own (field or header), else a new UUID; for a batch, the request\'s id (item `i` is `<id>:<i>`); for a join, its `joinId`. Feedback names the decision by it.',
      schema,
    },
  },
} as const;

/** The reference to the request parameter, for an operation's `parameters`. */
export const DECISION_ID_PARAMETER = { $ref: `#/components/parameters/${NAME}` } as const;

/** A response's `headers` carrying the decision id. */
export const DECISION_ID_RESPONSE_HEADERS = { [DECISION_ID_HEADER]: { $ref: `#/components/headers/${NAME}` } } as const;
