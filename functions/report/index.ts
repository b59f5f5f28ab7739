export { renderReport, type ReportMeta } from './html.js';
export { comparisonSpec, confusionGridSpec, confusionSpec, diversitySpec, metricSpec, perClassSpec, reliabilitySpec } from './charts.js';
export type { ReportModel } from './tables.js';
export { toSvg } from './render.js';
