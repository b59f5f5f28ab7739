export * from './schema.js';
export * from './apply.js';
export { fitPlatt } from './platt.js';
export { fitIsotonic } from './isotonic.js';
export { fitCalibration, fitCurves } from './fit.js';
