/**
 * An intercepting proxy in front of one emulator: it reads the caller's access key id (one per function),
 * works out the IAM action and resource ARN of the call, checks them against that function's role
 * statements from the template, and either forwards the call unchanged or answers as AWS answers a refused
 * call (AccessDenied / AccessDeniedException) and reports it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ArnContext,
  type AwsRequest,
  type AwsService,
  accessKeyIdOf,
  deniedResponse,
  type RequestedAccess,
  requestedAccess,
} from './aws-requests';
import { accessDeniedMessage, evaluate, type PolicyStatement } from './iam';

/** Who is calling: a function of the stack, identified by the access key the runner gave it. */
export interface Principal {
  accessKeyId: string;
  functionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<function>` */
  principalArn: string;
  statements: readonly PolicyStatement[];
}

export interface AccessDeniedReport {
  service: AwsService;
  functionName: string | undefined;
  accessKeyId: string | undefined;
  action: string;
  resource: string;
  message: string;
}

export interface AwsProxyOptions {
  service: AwsService;
  /** `http://127.0.0.1:<port>` of the emulator. */
  upstream: string;
  principal(accessKeyId: string): Principal | undefined;
  arnContext: ArnContext;
  onDenied(report: AccessDeniedReport): void;
  /** Rewrites a request body before it is forwarded (SQS queue URLs); the response is then buffered too. */
  rewrite?: { request(body: string): string; response(body: string): string };
  /** Called after the emulator answered 2xx (S3 event notifications). */
  onSuccess?(
    request: AwsRequest,
    access: RequestedAccess[],
    responseHeaders: IncomingMessage['headers'],
  ): void;
}

export interface AwsProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

export const startAwsProxy = async (options: AwsProxyOptions): Promise<AwsProxy> => {
  const upstream = new URL(options.upstream);

  const deny = (response: ServerResponse, code: 'AccessDenied' | 'UnknownAccessKey', message: string) => {
    const answer = deniedResponse(options.service, code, message, randomUUID());
    response.writeHead(answer.status, {
      ...answer.headers,
      'content-length': Buffer.byteLength(answer.body),
    });
    response.end(answer.body);
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(incoming);
    const request: AwsRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      headers: incoming.headers,
      body,
    };
    const accessKeyId = accessKeyIdOf(request);
    const access = requestedAccess(options.service, request, options.arnContext);
    const principal = accessKeyId ? options.principal(accessKeyId) : undefined;
    if (!principal) {
      const message = 'The security token included in the request is invalid.';
      for (const { action, resource } of access) {
        options.onDenied({
          service: options.service,
          functionName: undefined,
          accessKeyId,
          action,
          resource,
          message,
        });
      }
      deny(response, 'UnknownAccessKey', message);
      return;
    }
    for (const { action, resource } of access) {
      const decision = evaluate(principal.statements, action, resource);
      if (decision !== 'allowed') {
        const message = accessDeniedMessage(principal.principalArn, action, resource, decision);
        options.onDenied({
          service: options.service,
          functionName: principal.functionName,
          accessKeyId,
          action,
          resource,
          message,
        });
        deny(response, 'AccessDenied', message);
        return;
      }
    }
    const forwardBody = options.rewrite ? Buffer.from(options.rewrite.request(body.toString('utf8'))) : body;
    const headers = { ...incoming.headers, host: upstream.host };
    if (headers['content-length'] !== undefined || forwardBody.length > 0) {
      headers['content-length'] = String(forwardBody.length);
    }
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        if (status >= 200 && status < 300) options.onSuccess?.(request, access, answer.headers);
        if (!options.rewrite) {
          response.writeHead(status, answer.headers);
          answer.pipe(response);
          return;
        }
        readBody(answer).then(
          (buffer) => {
            const text = options.rewrite!.response(buffer.toString('utf8'));
            const { 'transfer-encoding': _chunked, ...rest } = answer.headers;
            response.writeHead(status, { ...rest, 'content-length': Buffer.byteLength(text) });
            response.end(text);
          },
          () => response.destroy(),
        );
      },
    );
    outgoing.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`stack runner: emulator unreachable: ${error.message}`);
    });
    outgoing.end(forwardBody);
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`stack runner: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
