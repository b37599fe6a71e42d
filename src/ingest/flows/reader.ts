// What runTask reads flow logs with, loaded when a task of that source runs (ADR 0017).
export { FlowDecoder } from './decode.js';
export { readParquetFlows } from './parquet.js';
