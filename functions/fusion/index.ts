export * from './schemas.js';
export * from './errors.js';
export * from './problem.js';
export * from './calibrate.js';
export * from './prepare.js';
export * from './strategy.js';
export * from './registry.js';
export * from './fuse.js';
