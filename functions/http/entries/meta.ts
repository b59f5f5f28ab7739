import { metaHandler } from '../meta.js';

export const handler = metaHandler();
