import { average } from '../../fusion/rules/average.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(average);
