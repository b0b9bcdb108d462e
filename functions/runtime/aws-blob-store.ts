import type { BlobStore } from '../../shared/ports/blob-store';
import type { Env } from './aws-ports';

/** S3 staging bucket (ELEMENT_BULK_BUCKET); absent when the stack gives the function none. */
export const awsBlobStore = async (env: Env): Promise<BlobStore | undefined> => {
  const bucket = env.ELEMENT_BULK_BUCKET;
  if (!bucket) return undefined;
  const [{ S3Client }, blobs] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../../shared/adapters/aws/blob-store'),
  ]);
  return blobs.createAwsBlobStore({ client: new S3Client(blobs.AWS_BLOB_STORE_CLIENT_CONFIG), bucket });
};
