import { borda } from '../../fusion/rules/borda.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(borda);
