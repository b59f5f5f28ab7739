import { NotFoundError } from './errors.js';
import { type DecisionObserver, type FuseLimits, fuseAny } from './fuse.js';
import type { ProfileLookup } from './prepare.js';
import type { AnyBatchResponse, AnyResponse } from './tasks/index.js';
import { inverseVariance } from './tasks/inverse-variance.js';
import { average } from './rules/average.js';
import { borda } from './rules/borda.js';
import { dempsterShafer } from './rules/dempster-shafer.js';
import { max, median, min } from './rules/order.js';
import { product } from './rules/product.js';
import { vote } from './rules/vote.js';
import { learned } from './learned/strategy.js';
import type { Strategy } from './strategy.js';

/**
 * The one list of strategies. Handlers, routes, `/v1/strategies`, the OpenAPI document, the
 * CLI, the CDK stack and the tests all read it: adding a strategy is one file and one line here.
 */
export const STRATEGIES = { average, product, max, min, median, vote, borda, 'dempster-shafer': dempsterShafer, learned, 'inverse-variance': inverseVariance } as const satisfies Record<string, Strategy>;

export type StrategyName = keyof typeof STRATEGIES;
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];

/** The strategy named `name`, or a not-found error listing the valid names. */
export function getStrategy(name: string): Strategy {
  if (Object.hasOwn(STRATEGIES, name)) return STRATEGIES[name as StrategyName];
  throw new NotFoundError(`Unknown strategy "${name}". Valid strategies: ${STRATEGY_NAMES.join(', ')}.`, [
    { path: 'strategy', message: `use one of: ${STRATEGY_NAMES.join(', ')}` },
  ]);
}

/** Fuses a single request or a batch with the named strategy. */
export function fuse(strategyName: string, input: unknown, lookup?: ProfileLookup, limits?: FuseLimits, observe?: DecisionObserver): AnyResponse | AnyBatchResponse {
  return fuseAny(getStrategy(strategyName), input, lookup, limits, observe);
}
