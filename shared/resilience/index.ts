export { type BackoffPolicy, backoffDelay, type RandomSource, type Sleep, sleep } from './backoff';
export { mapBounded, Semaphore } from './pool';
