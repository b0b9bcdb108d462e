import type { BlobStore } from '../../shared/ports/blob-store';
import type { Env } from './aws-ports';

/** S3 staging bucket (ELEMENT_BULK_BUCKET); absent when the stack gives the function none. */
export const awsBlobStore = async (env: Env): Promise<BlobStore | undefined> => {
  const bucket = env.ELEMENT_BULK_BUCKET;
  if (!bucket) return undefined;
  const blobs = await import('../../shared/adapters/aws/blob-store');
  return blobs.createAwsBlobStore({ client: blobs.createDefaultS3Client(), bucket });
};
