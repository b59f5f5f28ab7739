/**
 * The checks of what a store reads (profile and model schemas, the variant models), which the
 * stores import on first use (`import('./checks.js')`): a function whose requests carry their
 * weights inline never builds those schemas (bench/README.md, "Cold start").
 */
export { checkModel, checkModelFits, checkProfile } from './validate.js';
export { loadVariantModels } from './variants.js';
