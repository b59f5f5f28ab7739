import type { Strategy } from '../strategy.js';
import { unsupportedTask } from './index.js';

/**
 * Inverse-variance weighting, a regression-only strategy: each modality's weight ∝ its given
 * weight / std², and the fused std is sqrt(1 / Σ w_k / std_k²). Its form lives in
 * `regression.ts`; as a classification rule it answers 400.
 */
export const inverseVariance: Strategy = {
  name: 'inverse-variance',
  description: 'Inverse-variance weighting (regression): weights ∝ weight / std^2, with the fused std.',
  weighted: true,
  tasks: ['regression'],
  parameters: ['task', 'predictions.*.std', 'weights', 'options.minModalities'],
  reference: 'Hartung, Knapp & Sinha, Statistical Meta-Analysis with Applications, Wiley 2008 (inverse-variance method)',
  combine() {
    throw unsupportedTask(inverseVariance, 'classification');
  },
  support: () => 0,
};
