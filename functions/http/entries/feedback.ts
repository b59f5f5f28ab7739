import { feedbackHandler } from '../feedback.js';

export const handler = feedbackHandler();
