import { joinsHandler } from '../../joins/http.js';

export const handler = joinsHandler();
