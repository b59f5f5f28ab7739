import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { FeedbackDelivery } from '../../infra/lib/feedback.js';
import { dataBucketId, flat, functionLogicalId, resources, statements, synth } from './synth.js';

const s = synth();
const feedback = s.stack.node.findChild('Feedback') as FeedbackDelivery;
const streamId = () => s.stack.resolve(feedback.delivery.stream.logicalId) as string;
const roleOf = (id: string) => (s.json.Resources[functionLogicalId(s, id)]!.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

describe('feedback infrastructure', () => {
  it('delivers feedback gzipped, encrypted and buffered to feedback/dt=YYYY-MM-DD/ of the data bucket, errors apart', () => {
    s.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::GetAtt': [dataBucketId(s), 'Arn'] },
        Prefix: 'feedback/dt=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'errors/feedback/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 16 },
        // The function's records end in their own newline: no delimiter is added.
        ProcessingConfiguration: Match.absent(),
      },
    });
  });

  it('tells the feedback function its stream and lets it only PutRecord on that stream', () => {
    const fn = s.json.Resources[functionLogicalId(s, 'FeedbackFunction')]!.Properties!;
    expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.FUSION_FEEDBACK_STREAM).toEqual({ Ref: streamId() });
    const own = statements(s.json, roleOf('FeedbackFunction')).filter((st) => !st.actions.every((a) => a.startsWith('xray:') || a.startsWith('logs:')));
    expect(own.map((st) => [st.actions, st.resources])).toEqual([[['firehose:PutRecord'], [`<${streamId()}.Arn>`]]]);
  });

  it('gives no other function a Firehose permission on the feedback stream', () => {
    const writers = new Set(statements(s.json).filter((st) => st.resources.includes(`<${streamId()}.Arn>`)).map((st) => st.policy));
    const roles = [...writers].flatMap((id) => (s.json.Resources[id]!.Properties!.Roles as unknown[]).map(flat));
    expect(roles).toEqual([`<${roleOf('FeedbackFunction')}>`]);
  });

  it('serves POST /v1/feedback from the feedback function, IAM-authorised', () => {
    const [[, route]] = resources(s.json, 'AWS::ApiGatewayV2::Route').filter(([, p]) => p.RouteKey === 'POST /v1/feedback') as [[string, Record<string, unknown>]];
    expect(route.AuthorizationType).toBe('AWS_IAM');
    const target = flat(route.Target).replace('integrations/', '').slice(1, -1);
    expect(flat(s.json.Resources[target]!.Properties!.IntegrationUri)).toBe(`<${functionLogicalId(s, 'FeedbackFunction')}.Arn>`);
  });
});
