import { dempsterShafer } from '../../fusion/rules/dempster-shafer.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(dempsterShafer);
