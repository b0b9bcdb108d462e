import type { Template } from 'aws-cdk-lib/assertions';

/** Lambda's hard limit on a function's resource-based policy (PolicyLengthExceededException above it). */
export const LAMBDA_RESOURCE_POLICY_LIMIT_BYTES = 20_480;

/**
 * Long but valid stand-ins for what CloudFormation fills in at deploy time, so the estimate is an upper
 * bound: the longest region name, a 64-character function name, a 10-character API id.
 */
const DEPLOY_VALUES = {
  partition: 'aws-us-gov',
  region: 'ap-southeast-4',
  account: '123456789012',
  functionName: 'f'.repeat(64),
  physicalId: 'abcdefghij',
};

type Intrinsic = unknown;

/** Resolves the intrinsics a permission's properties use (Ref, Fn::GetAtt, Fn::Join) to deploy-like strings. */
const resolve = (value: Intrinsic): string => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) {
      switch (object.Ref) {
        case 'AWS::Partition':
          return DEPLOY_VALUES.partition;
        case 'AWS::Region':
          return DEPLOY_VALUES.region;
        case 'AWS::AccountId':
          return DEPLOY_VALUES.account;
        default:
          return DEPLOY_VALUES.physicalId;
      }
    }
    if ('Fn::GetAtt' in object) {
      const [, attribute] = object['Fn::GetAtt'] as [string, string];
      return attribute === 'Arn'
        ? `arn:${DEPLOY_VALUES.partition}:lambda:${DEPLOY_VALUES.region}:${DEPLOY_VALUES.account}:function:${DEPLOY_VALUES.functionName}`
        : DEPLOY_VALUES.physicalId;
    }
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, Intrinsic[]];
      return parts.map(resolve).join(separator);
    }
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
};

/**
 * The resource-based policy Lambda would hold for `functionLogicalId` once every AWS::Lambda::Permission
 * of the template naming it is added: one statement per permission, as `aws lambda get-policy` prints
 * it. The statement id is the permission's physical id, which CloudFormation makes from the stack name,
 * the logical id and a random suffix; approximated long.
 */
export const estimatedResourcePolicyBytes = (
  template: Template,
  functionLogicalId: string,
  stackName = 'SnowElement',
): number => {
  const arn = JSON.stringify({ 'Fn::GetAtt': [functionLogicalId, 'Arn'] });
  const statements = Object.entries(template.findResources('AWS::Lambda::Permission'))
    .filter(([, permission]) => JSON.stringify(permission.Properties.FunctionName) === arn)
    .map(([logicalId, { Properties: properties }]) => ({
      Sid: `${`${stackName}-${logicalId}`.slice(0, 50)}-ABCDEFGHIJKLM`,
      Effect: 'Allow',
      Principal: { Service: properties.Principal },
      Action: properties.Action,
      Resource: resolve(properties.FunctionName),
      ...(properties.SourceArn
        ? { Condition: { ArnLike: { 'AWS:SourceArn': resolve(properties.SourceArn) } } }
        : {}),
    }));
  return Buffer.byteLength(JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }));
};
