import { describe, expect, it } from 'vitest';
import { BACKGROUND_FUNCTIONS } from '../../functions/routes';
import { ALARM_TOPIC_KEY_ACTIONS } from '../../infra/constructs';
import { arnOf, logicalId, removeOutdir, synthesizeElement, synthesizeForSuite } from './synthesize';

const element = synthesizeForSuite();

const topicRef = () => ({ Ref: logicalId(element.stack, element.stack.alarms.topic) });

/** The alarms whose metric has a dimension naming `logicalIdOfResource`. */
const alarmsOf = (logicalIdOfResource: string) =>
  Object.values(element.template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
    JSON.stringify(alarm.Properties).includes(`"${logicalIdOfResource}"`),
  );

describe('alarm topic', () => {
  it('is one SNS topic encrypted with the stack key', () => {
    element.template.resourceCountIs('AWS::SNS::Topic', 1);
    element.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: arnOf(logicalId(element.stack, element.stack.foundation.key)),
    });
  });

  it('refuses requests without TLS and lets only this account’s CloudWatch alarms publish', () => {
    const policies = Object.values(element.template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const { Topics, PolicyDocument } = policies[0]?.Properties ?? {};
    expect(Topics).toEqual([topicRef()]);
    expect(PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sns:Publish',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Principal: '*',
        }),
        {
          Sid: 'CloudWatchAlarms',
          Effect: 'Allow',
          Action: 'sns:Publish',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Resource: topicRef(),
          Condition: {
            ArnLike: {
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':cloudwatch:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':alarm:*',
                  ],
                ],
              },
            },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ]),
    );
    expect(PolicyDocument.Statement).toHaveLength(2);
  });

  it('lets CloudWatch use the stack key for the encrypted alarm messages', () => {
    const key =
      element.template.findResources('AWS::KMS::Key')[logicalId(element.stack, element.stack.foundation.key)];
    expect(key?.Properties.KeyPolicy.Statement).toContainEqual({
      Sid: 'CloudWatchAlarmsTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: [...ALARM_TOPIC_KEY_ACTIONS],
      Resource: '*',
    });
  });

  it('receives both dead-letter alarms, in ALARM and back to OK', () => {
    for (const dlq of [element.stack.events.deadLetterQueue, element.stack.bulk.deadLetterQueue]) {
      const alarms = alarmsOf(logicalId(element.stack, dlq));
      expect(alarms).toHaveLength(1);
      expect(alarms[0]?.Properties).toMatchObject({ AlarmActions: [topicRef()], OKActions: [topicRef()] });
    }
  });

  it('receives an errors alarm of every background function and of the authorizer', () => {
    const functions = {
      eventsPoller: element.stack.events.poller,
      eventsPollWorker: element.stack.events.pollWorker,
      eventsDispatcher: element.stack.events.dispatcher,
      bulkWorker: element.stack.bulk.worker,
      authorizer: element.stack.authorizer.function,
    };
    expect(Object.keys(functions)).toEqual(expect.arrayContaining(Object.keys(BACKGROUND_FUNCTIONS)));
    for (const [name, fn] of Object.entries(functions)) {
      const alarms = alarmsOf(logicalId(element.stack, fn.function));
      expect(alarms, name).toHaveLength(1);
      expect(alarms[0]?.Properties, name).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(element.stack, fn.function) } }],
        Statistic: 'Sum',
        Period: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef()],
        OKActions: [topicRef()],
      });
    }
  });

  it('has no subscription unless asked, and its ARN is an output', () => {
    element.template.resourceCountIs('AWS::SNS::Subscription', 0);
    element.template.hasOutput('AlarmTopicArn', { Value: topicRef() });
  });

  it('subscribes the e-mail of -c alarmEmail, and refuses a value that is not one', () => {
    const withEmail = synthesizeElement({ alarmEmail: 'ops@example.com' });
    try {
      const subscriptions = Object.values(withEmail.template.findResources('AWS::SNS::Subscription'));
      expect(subscriptions.map((subscription) => subscription.Properties)).toEqual([
        {
          Protocol: 'email',
          Endpoint: 'ops@example.com',
          TopicArn: { Ref: logicalId(withEmail.stack, withEmail.stack.alarms.topic) },
        },
      ]);
    } finally {
      removeOutdir(withEmail.outdir);
    }
    expect(() => synthesizeElement({ alarmEmail: 'ops at example' })).toThrow(/not an e-mail address/);
  });
});
