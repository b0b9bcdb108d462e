import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ElementLogLevel } from './constructs';
import { SnowElementStack } from './stack';

/** Stack name when no `-c stackName=...` is given. */
export const DEFAULT_STACK_NAME = 'SnowElement';

const LOG_LEVELS: readonly ElementLogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface ElementApp {
  app: App;
  stack: SnowElementStack;
}

/**
 * Builds the CDK app: one SnowElementStack, environment-agnostic (no account/region, so one template
 * deploys anywhere), with cdk-nag's AwsSolutions pack registered as a validation plugin. The plugin is
 * always on: any unacknowledged finding makes `cdk synth` / `cdk deploy` fail.
 *
 * Context (`cdk synth -c key=value` or cdk.json):
 * - `stackName`    CloudFormation stack name (default SnowElement), so several copies can live in one account;
 * - `allowedHosts` ELEMENT_ALLOWED_HOSTS of the deployed functions (default empty: public hosts only);
 * - `logLevel`     DEBUG | INFO | WARN | ERROR (default INFO);
 * - `alarmEmail`   an e-mail address subscribed to the alarm topic (default none).
 * - `corsOrigins`  ELEMENT_CORS_ORIGINS: browser origins allowed to call the API, a comma list or `*`
 *                  (default: the ELEMENT_CORS_ORIGINS of the synthesizing shell, else none).
 */
export const createElementApp = (props: AppProps = {}): ElementApp => {
  const app = new App(props);
  const stackName = stringContext(app, 'stackName') ?? DEFAULT_STACK_NAME;
  const logLevel = stringContext(app, 'logLevel') ?? 'INFO';
  if (!LOG_LEVELS.includes(logLevel as ElementLogLevel)) {
    throw new Error(`Context logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const alarmEmail = stringContext(app, 'alarmEmail');
  const stack = new SnowElementStack(app, 'SnowElementStack', {
    stackName,
    description: 'snow-element: self-hosted ServiceNow element (API Gateway HTTP API, Lambda, DynamoDB)',
    allowedHosts: stringContext(app, 'allowedHosts') ?? '',
    corsOrigins: stringContext(app, 'corsOrigins') ?? process.env.ELEMENT_CORS_ORIGINS ?? '',
    logLevel: logLevel as ElementLogLevel,
    ...(alarmEmail ? { alarmEmail } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
};

const stringContext = (app: App, key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string`);
  return value;
};
