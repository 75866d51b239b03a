import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { ServiceAccount } from 'kubernetes-models/v1'
import { parse } from 'yaml'
import { runCli, tempDir } from './helpers.js'

const render = (out: string, extra: string[] = []) =>
  runCli(['deploy', 'render', '--prefix', 'team-a-', '--region', 'eu-west-1', '--account', '123456789012', '--role-arn', 'arn:aws:iam::123456789012:role/fraudlab-scorer', '--shards', '8', '--out', out, ...extra])

type Policy = { Version: string; Statement: Array<{ Sid: string; Effect: string; Action: string[]; Resource: string[] }> }

describe('fraudlab deploy render', () => {
  it('writes manifests that validate against the Kubernetes and KEDA schemas, and policies that name only the run’s resources', async () => {
    const out = tempDir('deploy')
    const result = await render(out, ['--consumer', 'efo'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(readdirSync(out).sort(), ['deployment.yaml', 'iam-policy.json', 'keda-iam-policy.json', 'scaledobject.yaml', 'serviceaccount.yaml', 'trigger-authentication.yaml'])
    const yaml = (name: string) => parse(readFileSync(join(out, name), 'utf8'))

    // Each model class checks its object against the published OpenAPI / CRD schema and throws on a mismatch.
    const deployment = new Deployment(yaml('deployment.yaml'))
    deployment.validate()
    const serviceAccount = new ServiceAccount(yaml('serviceaccount.yaml'))
    serviceAccount.validate()
    const scaledObject = new ScaledObject(yaml('scaledobject.yaml'))
    scaledObject.validate()
    new TriggerAuthentication(yaml('trigger-authentication.yaml')).validate()

    assert.equal(serviceAccount.metadata?.annotations?.['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/fraudlab-scorer')
    const container = deployment.spec!.template.spec!.containers[0]
    assert.deepEqual(container.args, ['scorer', '--target', 'aws', '--region', 'eu-west-1', '--prefix', 'team-a-', '--consumer', 'efo', '--shards', '8'])
    assert.equal(deployment.spec!.template.spec!.serviceAccountName, serviceAccount.metadata?.name)
    assert.equal(scaledObject.spec.scaleTargetRef.name, deployment.metadata?.name)
    assert.equal(scaledObject.spec.maxReplicaCount, 8, 'never more replicas than shards')
    const [kinesis, cloudwatch] = scaledObject.spec.triggers
    assert.equal(kinesis.type, 'aws-kinesis-stream')
    assert.deepEqual(kinesis.metadata, { streamName: 'team-a-transactions', awsRegion: 'eu-west-1', shardCount: '1', activationShardCount: '1' })
    assert.equal(cloudwatch.type, 'aws-cloudwatch')
    assert.equal(cloudwatch.metadata.metricName, 'GetRecords.IteratorAgeMilliseconds')
    assert.equal(cloudwatch.metadata.dimensionValue, 'team-a-transactions')

    const policy = JSON.parse(readFileSync(join(out, 'iam-policy.json'), 'utf8')) as Policy
    assert.equal(policy.Version, '2012-10-17')
    const resources = policy.Statement.flatMap((s) => s.Resource)
    for (const resource of resources) {
      assert.match(resource, /^arn:aws:(kinesis|dynamodb|sns):eu-west-1:123456789012:/, `${resource}: this region and account only`)
      assert.match(resource, /team-a-/, `${resource}: the run's own resources only`)
    }
    assert.ok(resources.includes('arn:aws:dynamodb:eu-west-1:123456789012:table/team-a-leases'))
    assert.ok(resources.includes('arn:aws:kinesis:eu-west-1:123456789012:stream/team-a-transactions/consumer/fraudlab-scorer:*'))
    const actions = policy.Statement.flatMap((s) => s.Action)
    assert.ok(!actions.some((a) => a.endsWith('*') || /Create(Stream|Table)|Delete/.test(a)), 'no wildcard action, nothing that creates or deletes streams or tables')
    const keda = JSON.parse(readFileSync(join(out, 'keda-iam-policy.json'), 'utf8')) as Policy
    assert.deepEqual(keda.Statement.flatMap((s) => s.Action).sort(), ['cloudwatch:GetMetricData', 'kinesis:DescribeStreamSummary'])
  })

  it('a schema check fails on a broken manifest (the validation is real)', () => {
    assert.throws(() => new Deployment({ metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 1 as unknown as string }] } } } }).validate())
    assert.throws(() => new ScaledObject({ metadata: { name: 'x' }, spec: { scaleTargetRef: { name: 'x' }, triggers: [{ metadata: {} } as never] } }).validate())
  })

  it('refuses a malformed account, region or role with what to give instead (exit 2)', async () => {
    const account = await runCli(['deploy', 'render', '--region', 'eu-west-1', '--account', '1234', '--role-arn', 'arn:aws:iam::123456789012:role/r', '--out', tempDir('bad')])
    assert.equal(account.code, 2)
    assert.match(account.stderr, /--account must be a 12-digit AWS account id; got "1234"/)
    const region = await runCli(['deploy', 'render', '--region', 'Europe', '--account', '123456789012', '--role-arn', 'arn:aws:iam::123456789012:role/r', '--out', tempDir('bad')])
    assert.equal(region.code, 2)
    assert.match(region.stderr, /--region "Europe" is not an AWS region name/)
    const role = await runCli(['deploy', 'render', '--region', 'eu-west-1', '--account', '123456789012', '--role-arn', 'fraudlab', '--out', tempDir('bad')])
    assert.equal(role.code, 2)
    assert.match(role.stderr, /--role-arn "fraudlab" is not an IAM role ARN/)
    assert.doesNotMatch(role.stderr, /at .*\.js:\d+/)
  })
})
