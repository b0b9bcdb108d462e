export { runDownloadChunk } from './chunk';
export { type ConvertDownloadOptions, convertDownload } from './convert';
export {
  cellText,
  columnsFor,
  csvHeader,
  type DownloadFormat,
  FORMAT_CONTENT_TYPE,
  FORMAT_EXTENSION,
  fileHead,
  fileTail,
  parseDownloadFormat,
  projectRow,
  type TextSink,
  writePage,
} from './format';
export { DEFAULT_DOWNLOAD_PAGE_SIZE } from './pages';
export { partTargetBytes } from './part-writer';
export {
  MAX_DOWNLOAD_PARTITIONS,
  type PartitionPlan,
  type PlanPartitionsOptions,
  planPartitions,
} from './partitions';
export { keysetQuery, type SysIdRange } from './query';
export { carryKey, completeDownload, deleteCarries, discardDownload, resultKey } from './result-file';
export {
  type DownloadChunkResult,
  type DownloadCursor,
  type DownloadJob,
  type DownloadStream,
  INITIAL_DOWNLOAD_CURSOR,
  type RunDownloadChunkOptions,
} from './types';
