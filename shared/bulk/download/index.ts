export {
  carryKey,
  completeDownload,
  DEFAULT_DOWNLOAD_PAGE_SIZE,
  type DownloadChunkResult,
  type DownloadCursor,
  type DownloadJob,
  type DownloadStream,
  deleteCarries,
  discardDownload,
  INITIAL_DOWNLOAD_CURSOR,
  partTargetBytes,
  type RunDownloadChunkOptions,
  resultKey,
  runDownloadChunk,
} from './chunk';
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
export {
  MAX_DOWNLOAD_PARTITIONS,
  type PartitionPlan,
  type PlanPartitionsOptions,
  planPartitions,
} from './partitions';
export { keysetQuery, type SysIdRange } from './query';
