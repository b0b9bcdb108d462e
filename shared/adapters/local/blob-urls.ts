import { createHmac, timingSafeEqual } from 'node:crypto';
import { assertValidBlobKey } from '../../ports';

/** Path (below the local server's origin) where local mode serves presigned blob URLs. */
export const LOCAL_BLOB_PATH = '/local-blobs';

export type BlobUrlMethod = 'GET' | 'PUT';

/**
 * Presigned URLs for the local blob store, the stand-in for S3's: local mode redirects bulk downloads to
 * them and hands them out for large uploads, so both modes run the same code path and files of any size
 * stream instead of passing through a handler's string body. HMAC-SHA256 over method, key, expiry and
 * (for PUT) the content type, with a per-process secret; compared in constant time.
 */
export interface LocalBlobUrls {
  sign(method: BlobUrlMethod, key: string, ttlSeconds: number, contentType?: string): string;
  /** The key of a valid, unexpired URL path + query, or undefined. */
  verify(
    method: BlobUrlMethod,
    pathname: string,
    query: URLSearchParams,
    contentType?: string,
  ): string | undefined;
}

export interface LocalBlobUrlsOptions {
  /** The local server's origin (`http://127.0.0.1:3000`); a function because it is known only once listening. */
  origin: () => string;
  secret: Buffer;
  now?: () => number;
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export function createLocalBlobUrls(options: LocalBlobUrlsOptions): LocalBlobUrls {
  const now = options.now ?? Date.now;
  const signature = (method: BlobUrlMethod, key: string, expires: string, contentType = '') =>
    createHmac('sha256', options.secret).update(`${method}\n${key}\n${expires}\n${contentType}`).digest();
  return {
    sign(method, key, ttlSeconds, contentType) {
      assertValidBlobKey(key);
      const expires = String(Math.floor(now() / 1000) + Math.max(1, Math.floor(ttlSeconds)));
      const query = new URLSearchParams({
        expires,
        signature: signature(method, key, expires, contentType).toString('hex'),
      });
      return `${options.origin()}${LOCAL_BLOB_PATH}/${encodeKey(key)}?${query}`;
    },
    verify(method, pathname, query, contentType) {
      if (!pathname.startsWith(`${LOCAL_BLOB_PATH}/`)) return undefined;
      let key: string;
      try {
        key = pathname
          .slice(LOCAL_BLOB_PATH.length + 1)
          .split('/')
          .map(decodeURIComponent)
          .join('/');
        assertValidBlobKey(key);
      } catch {
        return undefined;
      }
      const expires = query.get('expires') ?? '';
      const signed = query.get('signature') ?? '';
      // Exactly 64 hex digits: Buffer.from(hex) would silently drop anything after a bad character.
      if (!/^[0-9a-f]{64}$/.test(signed)) return undefined;
      if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < now()) return undefined;
      const given = Buffer.from(signed, 'hex');
      const expected = signature(method, key, expires, contentType);
      return given.length === expected.length && timingSafeEqual(given, expected) ? key : undefined;
    },
  };
}
