import { inverseVariance } from '../../fusion/tasks/inverse-variance.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(inverseVariance);
