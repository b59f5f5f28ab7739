export { renderReport, type ReportMeta } from './html.js';
export { comparisonSpec, confusionSpec, reliabilitySpec } from './charts.js';
export { toSvg } from './render.js';
