/**
 * Deploy-time limits a template can break without any test noticing: the size of each function's
 * resource-based policy (the sum of its `AWS::Lambda::Permission`s, 20 KB) and the number of resources
 * in one stack (500).
 */
import { type CfnTemplate, referencedLogicalId, resourcesOfType } from './template';

/** Lambda's limit on a function's resource-based policy. */
export const LAMBDA_RESOURCE_POLICY_LIMIT_BYTES = 20_480;
/** CloudFormation's limit on resources per stack. */
export const STACK_RESOURCE_LIMIT = 500;

export interface PolicySize {
  functionLogicalId: string;
  permissions: number;
  bytes: number;
}

/** Names as a deployment makes them (12-character random suffixes), so the size is what AWS will store. */
const deployedName = (stackName: string, logicalId: string) =>
  `${stackName}-${logicalId}-ABCDEFGHIJKL`.slice(0, 64);

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const API_ID = 'a1b2c3d4e5';

/** A template value as it will look once deployed (ARNs with a real-length account id and API id). */
const deployedValue = (value: unknown, stackName: string): string => {
  if (typeof value === 'string') return value;
  const referenced = referencedLogicalId(value);
  if (referenced)
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${deployedName(stackName, referenced)}`;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (join) {
    return join[1]
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = (part as { Ref?: string }).Ref;
        if (ref === 'AWS::Partition') return 'aws';
        if (ref === 'AWS::Region') return REGION;
        if (ref === 'AWS::AccountId') return ACCOUNT;
        if (ref) return API_ID;
        return deployedValue(part, stackName);
      })
      .join(join[0]);
  }
  return JSON.stringify(value);
};

/** Each function's resource-based policy as Lambda stores it, measured in bytes. */
export const resourcePolicySizes = (template: CfnTemplate, stackName: string): PolicySize[] => {
  const byFunction = new Map<string, object[]>();
  for (const [logicalId, permission] of resourcesOfType(template, 'AWS::Lambda::Permission')) {
    const properties = permission.Properties ?? {};
    const target = referencedLogicalId(properties.FunctionName) ?? String(properties.FunctionName);
    const sourceArn =
      properties.SourceArn === undefined ? undefined : deployedValue(properties.SourceArn, stackName);
    const statement = {
      Sid: deployedName(stackName, logicalId),
      Effect: 'Allow',
      Principal: { Service: String(properties.Principal) },
      Action: String(properties.Action),
      Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${deployedName(stackName, target)}`,
      ...(sourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': sourceArn } } } : {}),
    };
    byFunction.set(target, [...(byFunction.get(target) ?? []), statement]);
  }
  return [...byFunction.entries()]
    .map(([functionLogicalId, statements]) => ({
      functionLogicalId,
      permissions: statements.length,
      bytes: Buffer.byteLength(
        JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }),
      ),
    }))
    .sort((a, b) => b.bytes - a.bytes);
};

export const resourceCount = (template: CfnTemplate): number => Object.keys(template.Resources).length;
