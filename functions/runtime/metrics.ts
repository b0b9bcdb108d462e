/**
 * Metrics flushing of every Lambda entry point: in AWS mode (`ELEMENT_MODE=aws`) the process's metrics
 * sink is Powertools Metrics (shared/metrics/aws.ts) and Powertools' logMetrics middleware writes the
 * buffered EMF line at the end of each invocation, errors included, plus a ColdStart metric. Anywhere
 * else (local mode, tests) the in-memory sink stays and nothing is written to stdout.
 */
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createLogger } from '../../shared/logging';
import { setMetricsSink } from '../../shared/metrics';
import { type AwsMetrics, createAwsMetrics } from '../../shared/metrics/aws';

const isAws = (): boolean => process.env.ELEMENT_MODE === 'aws';

let awsMetrics: AwsMetrics | undefined;

const installAwsMetrics = (): AwsMetrics => {
  if (awsMetrics === undefined) {
    awsMetrics = createAwsMetrics({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'snow-element',
      logger: createLogger(),
    });
    setMetricsSink(awsMetrics.sink);
  }
  return awsMetrics;
};

/** Outside AWS mode: middy refuses a middleware without a hook, so one that does nothing. */
const NO_METRICS: middy.MiddlewareObj = { before: () => undefined };

/** The middy middleware that flushes metrics (a no-op outside AWS mode). */
export const metricsMiddleware = (): middy.MiddlewareObj =>
  isAws() ? logMetrics(installAwsMetrics().metrics, { captureColdStartMetric: true }) : NO_METRICS;

/** `handler` with its metrics flushed after every invocation (unchanged outside AWS mode). */
export const withMetrics = <TEvent, TResult>(
  handler: (event: TEvent, context?: Context) => Promise<TResult>,
): ((event: TEvent, context?: Context) => Promise<TResult>) => {
  if (!isAws()) return handler;
  const wrapped = middy<TEvent, TResult>(handler).use(metricsMiddleware());
  return (event, context) => wrapped(event, context as Context);
};
