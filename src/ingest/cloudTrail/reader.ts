// What runTask reads CloudTrail with, loaded when a task of that source runs (ADR 0017).
export { decodeCloudTrailValue } from './decode.js';
export { CloudTrailStream } from './stream.js';
export { readParquetCloudTrail } from './parquet.js';
