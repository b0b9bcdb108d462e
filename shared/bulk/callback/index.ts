/** Completion callbacks of bulk jobs: signed like event callbacks, SSRF-guarded. */
export {
  type CallbackDeps,
  type CallbackOutcome,
  callbackBody,
  checkCallbackUrl,
  DEFAULT_CALLBACK_ATTEMPTS,
  deliverJobCallback,
  type NotifyJobDeps,
  notifyJobCompletion,
} from './deliver';
