import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { parseCorsOrigins } from '../functions/cors';
import type { BackgroundFunctionName } from '../functions/routes';
import {
  AlarmsConstruct,
  ApiConstruct,
  BulkConstruct,
  ConsoleConstruct,
  DashboardConstruct,
  ElementAuthorizer,
  type ElementFunction,
  type ElementLogLevel,
  EventsConstruct,
  Foundation,
  HubConstruct,
  InstancesConstruct,
  POLL_LAG_ALARM_SETTINGS,
  pascalCase,
  type RouteAuthorizers,
  TransformationsConstruct,
} from './constructs';

export interface SnowElementStackProps extends StackProps {
  /** `ELEMENT_ALLOWED_HOSTS` for the functions; default '' (only public ServiceNow hosts). */
  allowedHosts?: string;
  /** default INFO */
  logLevel?: ElementLogLevel;
  /** Retention of function and access logs; default one month. */
  logRetention?: logs.RetentionDays;
  /** Replaces the stack's own Lambda authorizers (tests); see ApiConstruct's `authorizers` prop. */
  authorizers?: RouteAuthorizers;
  /** Subscribed to the alarm topic when given (`-c alarmEmail=ops@example.com`). */
  alarmEmail?: string;
  /**
   * ELEMENT_CORS_ORIGINS: browser origins allowed to call the API and to fetch bulk files from their
   * presigned URLs (a comma list or `*`); default none.
   */
  corsOrigins?: string;
}

/** `service` key of every structured log line (POWERTOOLS_SERVICE_NAME). */
export const SERVICE_NAME = 'snow-element';

/**
 * The whole element in one stack, one construct per capability. `Foundation` holds what they share
 * (key, platform secrets, state table); each later capability (instances, hub, events, bulk,
 * transformations) adds its construct here and takes grants from the foundation.
 */
export class SnowElementStack extends Stack {
  readonly foundation: Foundation;
  readonly authorizer: ElementAuthorizer;
  readonly api: ApiConstruct;
  readonly instances: InstancesConstruct;
  readonly hub: HubConstruct;
  readonly events: EventsConstruct;
  readonly bulk: BulkConstruct;
  readonly transformations: TransformationsConstruct;
  readonly alarms: AlarmsConstruct;
  readonly dashboard: DashboardConstruct;
  readonly console: ConsoleConstruct;

  constructor(scope: Construct, id: string, props: SnowElementStackProps = {}) {
    super(scope, id, props);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    const logLevel = props.logLevel ?? 'INFO';
    const corsOrigins = parseCorsOrigins(props.corsOrigins);

    this.foundation = new Foundation(this, 'Foundation', { allowedHosts: props.allowedHosts ?? '' });
    // Before the API: its protected routes need the authorizers at construction.
    this.authorizer = new ElementAuthorizer(this, 'Authorizer', {
      foundation: this.foundation,
      serviceName: SERVICE_NAME,
      logLevel,
      logRetention,
    });
    this.api = new ApiConstruct(this, 'Api', {
      environment: this.foundation.functionEnvironment,
      serviceName: SERVICE_NAME,
      logLevel,
      logRetention,
      authorizers: props.authorizers ?? this.authorizer.authorizers,
      corsOrigins,
    });
    this.instances = new InstancesConstruct(this, 'Instances', {
      foundation: this.foundation,
      instancesFunction: this.api.functions.instances,
    });
    this.hub = new HubConstruct(this, 'Hub', {
      foundation: this.foundation,
      hubFunction: this.api.functions.hub,
    });
    this.events = new EventsConstruct(this, 'Events', {
      foundation: this.foundation,
      adminFunction: this.api.functions.events,
      serviceName: SERVICE_NAME,
      environment: this.foundation.functionEnvironment,
      logLevel,
      logRetention,
    });
    this.bulk = new BulkConstruct(this, 'Bulk', {
      foundation: this.foundation,
      bulkFunction: this.api.functions.bulk,
      corsOrigins,
      consoleOrigin: this.api.httpApi.apiEndpoint,
      serviceName: SERVICE_NAME,
      environment: this.foundation.functionEnvironment,
      logLevel,
      logRetention,
    });
    this.transformations = new TransformationsConstruct(this, 'Transformations', {
      foundation: this.foundation,
      transformationsFunction: this.api.functions.transformations,
    });
    this.console = new ConsoleConstruct(this, 'Console', {
      consoleFunction: this.api.functions.console,
      instancesFunction: this.api.functions.instances,
      apiBaseUrl: this.api.baseUrl,
      bulkDownloadOrigin: this.bulk.downloadOrigin,
    });

    // Every DLQ alarm and the errors of every function nobody waits on (a failed API call is answered
    // to its caller; a failed poll, delivery, bulk chunk or authorizer is not).
    this.alarms = new AlarmsConstruct(this, 'Alarms', {
      encryptionKey: this.foundation.key,
      ...(props.alarmEmail ? { email: props.alarmEmail } : {}),
    });
    this.alarms.notify(this.events.deadLetterAlarm);
    this.alarms.notify(this.events.pollDeadLetterAlarm);
    this.alarms.notify(this.bulk.deadLetterAlarm);
    const backgroundFunctions: Record<BackgroundFunctionName, ElementFunction> = {
      eventsPoller: this.events.poller,
      eventsPollWorker: this.events.pollWorker,
      eventsDispatcher: this.events.dispatcher,
      bulkWorker: this.bulk.worker,
    };
    for (const [name, fn] of Object.entries(backgroundFunctions)) {
      this.alarms.functionErrorAlarm(pascalCase(name), fn, `${name} function`);
    }
    this.alarms.functionErrorAlarm(
      'Authorizer',
      this.authorizer.function,
      'authorizer (API Gateway answers 500)',
    );
    const pollLagAlarm = this.alarms.pollLagAlarm(SERVICE_NAME);
    const apiServerErrorAlarm = this.alarms.apiServerErrorAlarm(this.api.httpApi);
    this.dashboard = new DashboardConstruct(this, 'Operations', {
      serviceName: SERVICE_NAME,
      httpApi: this.api.httpApi,
      functions: { ...this.api.functions, authorizer: this.authorizer.function, ...backgroundFunctions },
      queues: { events: this.events, bulk: this.bulk },
      alarms: [this.events.deadLetterAlarm, this.bulk.deadLetterAlarm, pollLagAlarm, apiServerErrorAlarm],
      pollLagAlarmIntervals: POLL_LAG_ALARM_SETTINGS.maxIntervals,
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the element API', value: this.api.baseUrl });
    new CfnOutput(this, 'OrganizationSecretArn', {
      description: 'ELEMENT_ORGANIZATION_SECRET (read it with: aws secretsmanager get-secret-value)',
      value: this.foundation.secrets.organizationSecret.secretArn,
    });
    new CfnOutput(this, 'UserSecretArn', {
      description: 'ELEMENT_USER_SECRET (read it with: aws secretsmanager get-secret-value)',
      value: this.foundation.secrets.userSecret.secretArn,
    });
    new CfnOutput(this, 'EventsDeadLetterQueueUrl', {
      description: 'Events DLQ: callbacks that failed every retry (alarm: Events/DeadLetterAlarm)',
      value: this.events.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'EventsQueueUrl', {
      description: 'Events queue: where npm run redrive moves the events DLQ messages back to',
      value: this.events.queue.queueUrl,
    });
    new CfnOutput(this, 'BulkQueueUrl', {
      description: 'Bulk job queue: where npm run redrive moves the bulk DLQ messages back to',
      value: this.bulk.queue.queueUrl,
    });
    new CfnOutput(this, 'BulkBucketName', {
      description:
        'Bulk staging bucket: job files under jobs/, presigned uploads under incoming/ (expire after 3 days)',
      value: this.bulk.bucket.bucketName,
    });
    new CfnOutput(this, 'BulkDeadLetterQueueUrl', {
      description: 'Bulk DLQ: job messages that failed every retry (alarm: Bulk/DeadLetterAlarm)',
      value: this.bulk.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic of every alarm (DLQ messages, function errors); subscribe to it',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      description: 'The web console (sign in with the user and organization secrets)',
      value: this.console.consoleUrl,
    });
    new CfnOutput(this, 'OAuthCallbackUrl', {
      description: "Redirect URI to register on the ServiceNow OAuth application for the console's Connect",
      value: this.console.oauthCallbackUrl,
    });
    new CfnOutput(this, 'StateTableName', {
      description: 'DynamoDB state table',
      value: this.foundation.state.table.tableName,
    });
  }
}
