/** Lambda entry of the scheduled dataset job (functions/events/loop-jobs.ts). */
export { dataset as handler } from './loop-jobs.js';
