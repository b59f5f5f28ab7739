export * from './schemas.js';
export * from './training.js';
export * from './errors.js';
export * from './problem.js';
export * from './calibrate.js';
export * from './prepare.js';
export * from './strategy.js';
export * from './registry.js';
export * from './fuse.js';
export * from './tasks/index.js';
export * from './profiles.js';
// The classification profile's schema (schemas.ts has its type only).
export { Profile } from './profiles.js';
export * from './contract.js';
// The answers' schemas (schemas.ts and the task modules have their types only).
export { BatchResponse, FusionResponse, MultilabelResponse, Problem, RegressionResponse } from './contract.js';
