export { type BackoffPolicy, backoffDelay, type RandomSource, type Sleep, sleep } from './backoff';
export {
  type ForEachBoundedOptions,
  type ForEachBoundedOutcome,
  forEachBounded,
  mapBounded,
  Semaphore,
} from './pool';
