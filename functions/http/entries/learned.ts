import { learned } from '../../fusion/learned/strategy.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(learned);
