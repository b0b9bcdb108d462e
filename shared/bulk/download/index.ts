export {
  assembleDownload,
  DEFAULT_DOWNLOAD_PAGE_SIZE,
  type DownloadChunkResult,
  type DownloadCursor,
  type DownloadJob,
  INITIAL_DOWNLOAD_CURSOR,
  partKey,
  type RunDownloadChunkOptions,
  resultKey,
  runDownloadChunk,
} from './chunk';
export {
  cellText,
  columnsFor,
  csvHeader,
  type DownloadFormat,
  FORMAT_CONTENT_TYPE,
  FORMAT_EXTENSION,
  parseDownloadFormat,
  projectRow,
  serializePage,
} from './format';
export { keysetQuery, type SysIdRange, sysIdPartitions } from './query';
