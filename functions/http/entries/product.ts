import { product } from '../../fusion/rules/product.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(product);
