export * from './artifact.js';
export * from './data.js';
export * from './features.js';
export * from './metrics.js';
export * from './infer.js';
export * from './train.js';
export * from './evaluate.js';
export * from './fitted.js';
export { learned } from './strategy.js';
