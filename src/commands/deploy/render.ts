import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Flags } from '@oclif/core'
import { stringify } from 'yaml'
import { FraudlabCommand } from '../../cli/base-command.js'
import { consumerFlag, integerFlag, targetFlags } from '../../cli/flags.js'
import { renderScorerDeployment } from '../../deploy/scorer-deployment.js'
import { UserError } from '../../errors/user-error.js'
import { resourceNames } from '../../stack/resource-names.js'

export default class DeployRender extends FraudlabCommand {
  static override summary = 'Write the Kubernetes manifests and IAM policies that run the scorer on EKS, scaled by KEDA.'
  static override description =
    'Renders, for the streams, tables and topic of --prefix in --region: a Deployment of `fraudlab scorer` (its replicas share the shards by lease), ' +
    'a ServiceAccount bound to an IAM role, a KEDA ScaledObject (aws-kinesis-stream scaler with one replica per shard, at most --shards replicas, ' +
    'plus a CloudWatch trigger on GetRecords.IteratorAgeMilliseconds) with its TriggerAuthentication, and least-privilege IAM policies for the ' +
    "scorer and for KEDA that name only those resources. Build the image with deploy/Dockerfile. Apply with `kubectl apply -f DIR`; attach the policies to the role."
  static override examples = ['<%= config.bin %> deploy render --prefix team-a- --region eu-west-1 --account 123456789012 --role-arn arn:aws:iam::123456789012:role/fraudlab-scorer --shards 8 --out deploy/rendered']
  static override enableJsonFlag = true

  static override flags = {
    prefix: targetFlags.prefix,
    region: Flags.string({ description: 'AWS region of the run’s resources.', required: true, helpValue: '<region>' }),
    account: Flags.string({ description: 'AWS account id (12 digits) that holds them: the policies name their ARNs.', required: true, helpValue: '<id>' }),
    'role-arn': Flags.string({ description: 'IAM role the scorer’s ServiceAccount assumes (IRSA).', required: true, helpValue: '<arn>' }),
    shards: integerFlag({ name: 'shards', description: 'Shards of the transactions stream: KEDA never runs more replicas than this.', min: 1, max: 10_000, default: 2 }),
    image: Flags.string({ description: 'The scorer image (built with deploy/Dockerfile).', default: 'fraudlab:latest', helpValue: '<image>' }),
    namespace: Flags.string({ description: 'Kubernetes namespace.', default: 'fraudlab', helpValue: '<name>' }),
    consumer: consumerFlag,
    'iterator-age': integerFlag({ name: 'iterator-age', description: 'Milliseconds of iterator age (the oldest unread record) above which KEDA adds replicas.', min: 100, max: 86_400_000, default: 5_000 }),
    out: Flags.string({ description: 'Folder to write the files to.', required: true, helpValue: '<dir>' }),
  }

  async run(): Promise<{ folder: string; files: string[] }> {
    const { flags } = await this.parse(DeployRender)
    if (!/^\d{12}$/.test(flags.account)) throw new UserError(`--account must be a 12-digit AWS account id; got "${flags.account}".`, { hint: '`aws sts get-caller-identity --query Account` prints yours.' })
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(flags.region)) throw new UserError(`--region "${flags.region}" is not an AWS region name.`, { hint: 'For example eu-west-1 or us-east-1.' })
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(flags['role-arn'])) throw new UserError(`--role-arn "${flags['role-arn']}" is not an IAM role ARN.`, { hint: 'It reads arn:aws:iam::ACCOUNT:role/NAME.' })
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.namespace)) throw new UserError(`--namespace "${flags.namespace}" is not a Kubernetes namespace name (lower-case letters, digits and '-').`)
    const files = renderScorerDeployment({
      names: resourceNames(flags.prefix),
      region: flags.region,
      account: flags.account,
      roleArn: flags['role-arn'],
      shards: flags.shards,
      image: flags.image,
      namespace: flags.namespace,
      consumer: flags.consumer as 'polling' | 'efo',
      iteratorAgeMs: flags['iterator-age'],
    })
    const folder = resolve(flags.out)
    mkdirSync(folder, { recursive: true })
    for (const file of files) writeFileSync(join(folder, file.name), file.format === 'yaml' ? stringify(file.content) : `${JSON.stringify(file.content, null, 2)}\n`)
    this.log(`Wrote ${files.map((f) => f.name).join(', ')} to ${folder}.`)
    return { folder, files: files.map((f) => f.name) }
  }
}
