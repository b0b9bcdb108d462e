import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

/**
 * The console's files, served from one directory: the build output (`functions/console/web/dist`)
 * in local mode, the copy inside the function's asset in AWS. Everything here is about files and
 * headers; nothing knows about Lambda events.
 */

/**
 * No inline or foreign script, nothing fetched from anywhere but this origin and `connectOrigins`, no
 * framing, no plugins. Styles may be inline: UI libraries set `style` attributes, which cannot run code.
 * `connectOrigins` holds the bulk bucket's origin in AWS, where a bulk file answers a 302 to a presigned
 * URL that fetch follows.
 */
export const contentSecurityPolicy = (connectOrigins: readonly string[] = []): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');

/** The policy with nothing but this origin to connect to (local mode serves bulk files itself). */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** Headers of every console answer, files and errors alike. */
export const consoleSecurityHeaders = (connectOrigins: readonly string[] = []): Record<string, string> => ({
  'Content-Security-Policy': contentSecurityPolicy(connectOrigins),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
});

/** Hashed build assets never change under their name; everything else is revalidated on each load. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const REVALIDATE_CACHE = 'no-cache';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

const TEXT_TYPES = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml)/;

export const contentTypeOf = (path: string): string =>
  CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

/** Files larger than this are not served by a function (Lambda answers at most 6 MB, base64 included). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** A relative file path made only of ordinary segments: no `..`, no `.`, no backslash, no control bytes. */
const SAFE_SEGMENT = /^[A-Za-z0-9._@+~-]+$/;

/**
 * The file a request path names below the root, or undefined when it is not one we would serve
 * (traversal, hidden files, odd characters): the caller answers 404 either way.
 */
export const safeRelativePath = (requested: string): string | undefined => {
  if (requested.length === 0 || requested.length > 512) return undefined;
  const segments = requested.split('/');
  for (const segment of segments) {
    if (!SAFE_SEGMENT.test(segment) || segment.startsWith('.')) return undefined;
  }
  return segments.join(sep);
};

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
  /** Whether the body is text (sent as a string) or binary (sent base64). */
  text: boolean;
  cacheControl: string;
}

/** Where the build output is looked for, first existing one wins. */
export const consoleDirectoryCandidates = (moduleDirectory: string, configured?: string): string[] => [
  ...(configured ? [configured] : []),
  // The function's asset: the bundle sits at its root, the files under console/.
  join(moduleDirectory, 'console'),
  // The repository: functions/console/ next to web/dist.
  join(moduleDirectory, 'web', 'dist'),
];

export const findConsoleDirectory = (candidates: readonly string[]): string | undefined =>
  candidates.find((candidate) => existsSync(join(candidate, 'index.html')));

/**
 * Reads one file of the console below `root`, refusing anything that resolves outside it (symbolic
 * links included) or is not a regular file.
 */
export const readConsoleFile = async (root: string, requested: string): Promise<ConsoleFile | undefined> => {
  const relative = safeRelativePath(requested);
  if (relative === undefined) return undefined;
  let file: string;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    file = await realpath(join(root, relative));
  } catch {
    return undefined;
  }
  if (!file.startsWith(`${realRoot}${sep}`)) return undefined;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile() || info.size > MAX_FILE_BYTES) return undefined;
  const contentType = contentTypeOf(file);
  return {
    body: await readFile(file),
    contentType,
    text: TEXT_TYPES.test(contentType),
    cacheControl: relative.startsWith(`assets${sep}`) ? IMMUTABLE_CACHE : REVALIDATE_CACHE,
  };
};
