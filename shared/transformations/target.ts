import { NotFoundError } from '../errors';
import { type InstanceRef, instanceScope, type Scope } from './store';

/** The level a definitions or transformations route addresses, as its path names it. */
export type TargetLevel =
  | { level: 'organization' }
  | { level: 'account'; accountId: string | undefined }
  /** The caller's own instance (another user's is a 404, like a missing one). */
  | { level: 'instance'; instance: () => Promise<InstanceRef> };

export interface TransformationTarget {
  scope: Scope;
  /** The element of an instance-level route. */
  elementKey?: string;
}

/**
 * Who may touch what: this self-hosted bundle has one organization, so every platform user manages the
 * organization level. `/accounts/objects/...` is the caller's own account; `/accounts/{accountId}/...`
 * must name the caller (another account answers 404, like another user's instance).
 */
export const transformationTarget = async (
  userId: string,
  target: TargetLevel,
): Promise<TransformationTarget> => {
  if (target.level === 'organization') return { scope: { level: 'organization' } };
  if (target.level === 'account') {
    if (target.accountId !== undefined && target.accountId !== userId)
      throw new NotFoundError(`No account '${target.accountId.slice(0, 64)}'`);
    return { scope: { level: 'account', accountId: userId } };
  }
  const instance = await target.instance();
  return { scope: instanceScope(instance), elementKey: instance.elementKey };
};
