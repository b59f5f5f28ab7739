import { vote } from '../../fusion/rules/vote.js';
import { fuseHandler } from '../handler.js';

export const handler = fuseHandler(vote);
