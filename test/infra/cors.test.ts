import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORS_EXPOSED_HEADERS } from '../../functions/cors';
import { removeOutdir, type SynthesizedElement, synthesizeElement } from './synthesize';

const synthesized: SynthesizedElement[] = [];
const synth = (context: Record<string, unknown> = {}) => {
  const element = synthesizeElement(context);
  synthesized.push(element);
  return element;
};
// Synthesis takes seconds (more on a busy machine): done in hooks, which have the longer timeout.
let none: SynthesizedElement;
let listed: SynthesizedElement;
let any: SynthesizedElement;
beforeAll(() => {
  none = synth();
});
beforeAll(() => {
  listed = synth({ corsOrigins: 'https://app.example.com, http://localhost:5173' });
});
beforeAll(() => {
  any = synth({ corsOrigins: '*' });
});
afterAll(() => {
  for (const element of synthesized) removeOutdir(element.outdir);
});

describe('CORS in the stack', () => {
  it('configures none by default: no API CorsConfiguration, bucket CORS for the console alone', () => {
    const { template } = none;
    const apis = template.findResources('AWS::ApiGatewayV2::Api');
    for (const api of Object.values(apis)) {
      expect((api as { Properties: Record<string, unknown> }).Properties.CorsConfiguration).toBeUndefined();
    }
    // The console (the API's own origin) downloads bulk files; no other origin, no PUT.
    const stagingId = none.stack.getLogicalId(none.stack.bulk.bucket.node.defaultChild as CfnElement);
    for (const [id, bucket] of Object.entries(template.findResources('AWS::S3::Bucket'))) {
      const cors = (bucket as { Properties: Record<string, unknown> }).Properties.CorsConfiguration;
      if (id !== stagingId) {
        expect(cors).toBeUndefined();
        continue;
      }
      expect(cors).toEqual({
        CorsRules: [
          expect.objectContaining({
            AllowedOrigins: [{ 'Fn::GetAtt': [expect.any(String), 'ApiEndpoint'] }],
            AllowedMethods: ['GET', 'HEAD'],
          }),
        ],
      });
    }
  });

  it('puts the listed origins in the HTTP API CorsConfiguration, Elements-* headers exposed', () => {
    const { template } = listed;
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com', 'http://localhost:5173'],
        AllowHeaders: Match.arrayWith(['Authorization', 'Content-Type']),
        AllowMethods: Match.arrayWith(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
        ExposeHeaders: [...CORS_EXPOSED_HEADERS],
        MaxAge: 600,
      },
    });
    // Presigned bulk URLs are fetched by the browser from S3 after the API's 302.
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
            AllowedMethods: Match.arrayWith(['GET', 'PUT']),
          }),
          Match.objectLike({ AllowedMethods: ['GET', 'HEAD'] }),
        ],
      },
    });
  });

  it('takes `*` and refuses a malformed origin at synthesis', () => {
    const { template } = any;
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'] }),
    });
    expect(() => synth({ corsOrigins: 'https://app.example.com/path' })).toThrow(/ELEMENT_CORS_ORIGINS/);
  });
});
