import { InvalidInputError } from '../errors';
import type { ObjectConfiguration, Transformation, TransformationField } from './schema';

export interface TransformationLevels {
  organization?: Transformation;
  account?: Transformation;
  instance?: Transformation;
}

/**
 * Effective transformation for one instance (levels organization -> account -> instance).
 * Rules:
 * 1. The most specific level present wins: instance over account over organization.
 * 2. If that level carries `{type:"inherit"}`, it is merged onto the resolved result of the levels above
 *    it (recursively, so an account that inherits pulls in the organization too):
 *    - fields are keyed by common `path`; a field at the more specific level replaces the inherited one
 *      wholesale (including its `remove` configuration); inherited fields keep their order, new ones
 *      are appended;
 *    - `passThrough` comes from the most specific level that declares it;
 *    - `addToDocumentation` is on if any merged level turns it on;
 *    - `vendorName` must match the inherited one (else 400: the mapping would mix two tables).
 * 3. Without `inherit`, nothing from the levels above is used.
 * The result carries no `inherit` entry. undefined when no level is present.
 */
export function resolveTransformation(levels: TransformationLevels): Transformation | undefined {
  const chain = [levels.organization, levels.account, levels.instance];
  return resolveAt(chain, chain.length - 1);
}

const inherits = (t: Transformation) => t.configuration?.some((c) => c.type === 'inherit') ?? false;

function resolveAt(chain: (Transformation | undefined)[], index: number): Transformation | undefined {
  for (let i = index; i >= 0; i--) {
    const current = chain[i];
    if (!current) continue;
    const own = { ...current, configuration: current.configuration?.filter((c) => c.type !== 'inherit') };
    if (!inherits(current)) return own;
    const base = resolveAt(chain, i - 1);
    return base ? merge(base, own) : own;
  }
  return undefined;
}

function merge(base: Transformation, top: Transformation): Transformation {
  if (base.vendorName !== top.vendorName) {
    throw new InvalidInputError(
      `Transformation inherits from vendorName '${base.vendorName}' but maps '${top.vendorName}'`,
    );
  }
  const byPath = new Map<string, TransformationField>(base.fields.map((f) => [f.path, f]));
  for (const field of top.fields) byPath.set(field.path, field);
  const configuration: ObjectConfiguration[] = [];
  const passThrough =
    top.configuration?.find((c) => c.type === 'passThrough') ??
    base.configuration?.find((c) => c.type === 'passThrough');
  if (passThrough) configuration.push(passThrough);
  if (
    [...(base.configuration ?? []), ...(top.configuration ?? [])].some((c) => c.type === 'addToDocumentation')
  ) {
    configuration.push({ type: 'addToDocumentation' });
  }
  return { ...top, fields: [...byPath.values()], configuration };
}

/** passThrough flags; absent = off both ways (CE's UI default "Remove Unmapped Fields" ON). */
export function passThroughOf(t: Transformation): { fromVendor: boolean; toVendor: boolean } {
  const entry = t.configuration?.find((c) => c.type === 'passThrough');
  if (entry?.type !== 'passThrough') return { fromVendor: false, toVendor: false };
  return { fromVendor: entry.properties?.fromVendor ?? false, toVendor: entry.properties?.toVendor ?? false };
}

export const addToDocumentation = (t: Transformation): boolean =>
  t.configuration?.some((c) => c.type === 'addToDocumentation') ?? false;
