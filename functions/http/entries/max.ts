import { max } from '../../fusion/rules/order.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(max);
