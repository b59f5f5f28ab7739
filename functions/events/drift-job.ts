/** Lambda entry of the scheduled drift summariser (functions/events/loop-jobs.ts). */
export { drift as handler } from './loop-jobs.js';
