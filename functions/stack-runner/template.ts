/**
 * Reading a synthesized cloud assembly: the stack's CloudFormation template, its file assets, and the
 * intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) resolved against emulated resources.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface CloudAssembly {
  /** Folder of manifest.json. */
  dir: string;
  stackName: string;
  template: CfnTemplate;
  /** Asset hash (the S3 key without `.zip`) -> absolute folder of its files. */
  assets: Map<string, string>;
}

interface Manifest {
  artifacts: Record<
    string,
    { type: string; properties?: { templateFile?: string; stackName?: string }; dependencies?: string[] }
  >;
}

interface AssetManifest {
  files?: Record<string, { source: { path?: string; packaging?: string } }>;
}

/** The one CloudFormation stack of the assembly in `dir` (the element is a single stack). */
export const readCloudAssembly = (dir: string): CloudAssembly => {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const [entry] = stacks;
  if (!entry || stacks.length !== 1) {
    throw new Error(`Expected one stack in ${dir}, found ${stacks.length}`);
  }
  const [artifactId, artifact] = entry;
  const templateFile = artifact.properties?.templateFile ?? `${artifactId}.template.json`;
  const template = JSON.parse(readFileSync(join(dir, templateFile), 'utf8')) as CfnTemplate;
  const assets = new Map<string, string>();
  for (const dependency of artifact.dependencies ?? []) {
    const dependencyArtifact = manifest.artifacts[dependency];
    if (dependencyArtifact?.type !== 'cdk:asset-manifest') continue;
    const file = (dependencyArtifact.properties as { file?: string } | undefined)?.file;
    if (!file) continue;
    const assetManifest = JSON.parse(readFileSync(join(dir, file), 'utf8')) as AssetManifest;
    for (const [hash, asset] of Object.entries(assetManifest.files ?? {})) {
      if (asset.source.path) assets.set(hash, join(dir, asset.source.path));
    }
  }
  return { dir, stackName: artifact.properties?.stackName ?? artifactId, template, assets };
};

/** Resources of one type, as `[logicalId, resource]` pairs. */
export const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** What `Ref` and `Fn::GetAtt` answer for a resource once it exists (here: in the emulators). */
export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

export interface ResolveContext {
  region: string;
  accountId: string;
  partition: string;
  stackName: string;
  physical: (logicalId: string) => PhysicalResource | undefined;
}

const PSEUDO = (context: ResolveContext): Record<string, string> => ({
  'AWS::Region': context.region,
  'AWS::AccountId': context.accountId,
  'AWS::Partition': context.partition,
  'AWS::StackName': context.stackName,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::NoValue': '',
});

/** A value the runner cannot resolve (an unknown resource or intrinsic): the caller decides what to do. */
export class UnresolvableError extends Error {}

const ref = (name: string, context: ResolveContext): string => {
  const pseudo = PSEUDO(context)[name];
  if (pseudo !== undefined) return pseudo;
  const physical = context.physical(name);
  if (!physical) throw new UnresolvableError(`Ref ${name}: no emulated resource`);
  return physical.ref;
};

const getAtt = (logicalId: string, attribute: string, context: ResolveContext): string => {
  const value = context.physical(logicalId)?.attributes[attribute];
  if (value === undefined) throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute}: not emulated`);
  return value;
};

/** Resolves every intrinsic function inside `value` (objects and arrays are walked). */
export const resolveValue = (value: unknown, context: ResolveContext): unknown => {
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, context));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[key, argument]] = entries as [[string, unknown]];
    switch (key) {
      case 'Ref':
        return ref(String(argument), context);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument)
          ? (argument as string[])
          : String(argument).split(/\.(.+)/);
        return getAtt(String(logicalId), String(attribute), context);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        const resolved = resolveValue(parts, context) as unknown[];
        return resolved.map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        return (resolveValue(list, context) as unknown[])[Number(resolveValue(index, context))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return String(resolveValue(source, context)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument)
          ? (argument as [string, Record<string, unknown>])
          : [String(argument), {}];
        const resolvedVariables = resolveValue(variables, context) as Record<string, unknown>;
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_match, name: string) => {
          if (name in resolvedVariables) return String(resolvedVariables[name]);
          const [logicalId, attribute] = name.split(/\.(.+)/);
          return attribute ? getAtt(logicalId!, attribute, context) : ref(name, context);
        });
      }
      default:
        if (key.startsWith('Fn::'))
          throw new UnresolvableError(`${key} is not supported by the stack runner`);
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveValue(item, context)]));
};

/** The logical id a `{Ref}` / `{Fn::GetAtt}` points at, without resolving it. */
export const referencedLogicalId = (value: unknown): string | undefined => {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string') return record.Ref;
  const getAttValue = record['Fn::GetAtt'];
  if (Array.isArray(getAttValue)) return String(getAttValue[0]);
  if (typeof getAttValue === 'string') return getAttValue.split('.')[0];
  return undefined;
};
