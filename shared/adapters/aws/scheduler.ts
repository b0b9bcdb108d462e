import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { assertValidScheduleName, InvalidNameError, type OneOffScheduler } from '../../ports';

/**
 * One-off triggers as EventBridge Scheduler `at()` schedules that delete themselves after running
 * (ActionAfterCompletion DELETE). The payload is the target's input (JSON), e.g. a Lambda event or an
 * SQS message body. Recurring work is not here: infra creates EventBridge rules for it.
 * EventBridge evaluates `at()` with minute granularity at best; treat `when` as "not before".
 * A time in the past is moved to the next second, so the trigger fires as soon as possible.
 */
export interface AwsSchedulerOptions {
  client: SchedulerClient;
  /** Lambda or SQS ARN that receives the payload. */
  targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  groupName?: string;
  /** Prepended to names (stack or stage); the total must stay within 64 characters. */
  namePrefix?: string;
  /** Where EventBridge sends events it could not deliver. */
  deadLetterArn?: string;
  now?: () => number;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC. */
export function atExpression(when: Date): string {
  return `at(${when.toISOString().slice(0, 19)})`;
}

export function createAwsScheduler(options: AwsSchedulerOptions): OneOffScheduler {
  const { client } = options;
  const now = options.now ?? Date.now;
  const groupName = options.groupName ?? 'default';
  const fullName = (name: string) => {
    assertValidScheduleName(name);
    const full = `${options.namePrefix ?? ''}${name}`;
    if (full.length > 64)
      throw new InvalidNameError('schedule name', 'prefix plus name exceed 64 characters');
    return full;
  };

  return {
    async at(name, when, payload) {
      const earliest = Math.ceil((now() + 1) / 1000) * 1000;
      const input: CreateScheduleCommandInput = {
        Name: fullName(name),
        GroupName: groupName,
        ScheduleExpression: atExpression(new Date(Math.max(when.getTime(), earliest))),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: options.targetArn,
          RoleArn: options.roleArn,
          Input: JSON.stringify(payload ?? null),
          ...(options.deadLetterArn ? { DeadLetterConfig: { Arn: options.deadLetterArn } } : {}),
        },
      };
      try {
        await client.send(new CreateScheduleCommand(input));
      } catch (error) {
        // Same name scheduled again: replace it, as the port promises.
        if (!(error instanceof ConflictException) && (error as Error).name !== 'ConflictException')
          throw error;
        await client.send(new UpdateScheduleCommand(input));
      }
    },

    async cancel(name) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: fullName(name), GroupName: groupName }));
      } catch (error) {
        if (
          !(error instanceof ResourceNotFoundException) &&
          (error as Error).name !== 'ResourceNotFoundException'
        ) {
          throw error;
        }
      }
    },
  };
}
