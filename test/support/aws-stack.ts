/**
 * Creates template.yaml's data resources in moto, as the template defines them: the properties are read
 * from the template and its intrinsic functions evaluated, so a change to the template changes what the
 * tests run against. Functions, APIs, alarms and the like are skipped (moto does not run them).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetRandomPasswordCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import { ROOT } from './cli.js';

export const TEMPLATE_PATH = join(ROOT, 'template.yaml');
/** moto's account. */
const ACCOUNT_ID = '123456789012';

type Json = unknown;
type Props = Record<string, Json>;

export interface TemplateResource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Properties?: Props;
}

export interface Template {
  Parameters?: Record<string, { Type: string; Default?: string | number }>;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, TemplateResource>;
}

// The short forms CloudFormation's YAML allows, each turned into its long JSON form.
const INTRINSICS = [
  'Base64',
  'Cidr',
  'Condition',
  'Equals',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Length',
  'Not',
  'And',
  'Or',
  'Ref',
  'Select',
  'Split',
  'Sub',
  'ToJsonString',
  'Transform',
];
const longName = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);

const CFN_TAGS: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => [
  {
    tag: `!${name}`,
    // `!GetAtt Queue.Arn` is the short form of ['Queue', 'Arn'].
    resolve: (value: string) => ({ [longName(name)]: name === 'GetAtt' ? splitAtt(value) : value }),
  } satisfies ScalarTag,
  {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [longName(name)]: value.toJSON() }),
  } satisfies CollectionTag,
  {
    tag: `!${name}`,
    collection: 'map',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [longName(name)]: value.toJSON() }),
  } satisfies CollectionTag,
]);

function splitAtt(value: string): string[] {
  const dot = value.indexOf('.');
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

export function readTemplate(path = TEMPLATE_PATH): Template {
  return parse(readFileSync(path, 'utf8'), { customTags: CFN_TAGS }) as Template;
}

/** What a created resource answers to `!Ref` and `!GetAtt`. */
export interface CreatedResource {
  type: string;
  ref: string;
  attributes: Record<string, string>;
  /** The template's properties with every intrinsic function evaluated. */
  properties: Props;
}

export interface StackOptions {
  /** Parameter values over the template's defaults, e.g. a lower MaxReceiveCount, other secret names. */
  parameters?: Record<string, string | number>;
  /** Values for the template's secrets, by logical id; otherwise as the template makes them. */
  secretValues?: Record<string, string>;
  /** Prefix of the names CloudFormation would generate; default a random one, so stacks never collide. */
  stackName?: string;
  template?: Template;
}

export interface AwsStack {
  stackName: string;
  tableName: string;
  topicArn: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  subscriptionArn: string;
  /** The requests queue's redrive maxReceiveCount. */
  maxReceiveCount: number;
  /** Secrets Manager name and ARN of each created secret, by logical id. */
  secrets: Record<string, { name: string; arn: string }>;
  /** Every created resource by logical id. */
  resources: Record<string, CreatedResource>;
  /** Resources the template defines that were not created (functions, APIs, ...), by logical id. */
  skipped: Record<string, string>;
  /** The functions' environment variables for this stack (docs/aws-contract.md), moto's endpoint aside. */
  env: Record<string, string>;
}

export interface AwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** The template's data resources in moto, created in dependency order. */
export async function createStack(config: AwsClientConfig, options: StackOptions = {}): Promise<AwsStack> {
  const template = options.template ?? readTemplate();
  const stackName = options.stackName ?? `test-${randomBytes(4).toString('hex')}`;
  const parameters = parameterValues(template, options.parameters);
  const clients = {
    dynamodb: new DynamoDBClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    secrets: new SecretsManagerClient(config),
  };
  const created: Record<string, CreatedResource> = {};
  const evaluator = new Evaluator(template, parameters, created, config.region, stackName);
  const physicalName = (logicalId: string) => `${stackName}-${logicalId}`;

  const creators: Record<string, (id: string, props: Props) => Promise<Omit<CreatedResource, 'properties'>>> =
    {
      'AWS::DynamoDB::Table': async (id, props) => {
        const name = (props.TableName as string | undefined) ?? physicalName(id);
        const input = pick(props, [
          'AttributeDefinitions',
          'KeySchema',
          'GlobalSecondaryIndexes',
          'LocalSecondaryIndexes',
          'BillingMode',
          'ProvisionedThroughput',
          'DeletionProtectionEnabled',
          'Tags',
        ]) as Partial<CreateTableCommandInput>;
        const sse = props.SSESpecification as {
          SSEEnabled?: boolean;
          SSEType?: string;
          KMSMasterKeyId?: string;
        };
        const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
        const table = await clients.dynamodb.send(
          new CreateTableCommand({
            ...input,
            TableName: name,
            ...(sse
              ? {
                  SSESpecification: {
                    Enabled: sse.SSEEnabled,
                    SSEType: sse.SSEType,
                    KMSMasterKeyId: sse.KMSMasterKeyId,
                  },
                }
              : {}),
            ...(stream
              ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }
              : {}),
          } as CreateTableCommandInput),
        );
        const pitr = props.PointInTimeRecoverySpecification as
          | { PointInTimeRecoveryEnabled?: boolean }
          | undefined;
        if (pitr?.PointInTimeRecoveryEnabled)
          await clients.dynamodb.send(
            new UpdateContinuousBackupsCommand({
              TableName: name,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            }),
          );
        const ttl = props.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
        if (ttl)
          await clients.dynamodb.send(
            new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }),
          );
        const description = table.TableDescription;
        return {
          type: 'AWS::DynamoDB::Table',
          ref: name,
          attributes: {
            Arn: description?.TableArn ?? '',
            ...(description?.LatestStreamArn ? { StreamArn: description.LatestStreamArn } : {}),
          },
        };
      },

      'AWS::SNS::Topic': async (id, props) => {
        const name = (props.TopicName as string | undefined) ?? physicalName(id);
        const attributes = stringAttributes(
          pick(props, [
            'DisplayName',
            'KmsMasterKeyId',
            'FifoTopic',
            'ContentBasedDeduplication',
            'SignatureVersion',
          ]),
        );
        const topic = await clients.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
        const arn = topic.TopicArn ?? '';
        for (const sub of (props.Subscription as { Endpoint: string; Protocol: string }[] | undefined) ?? [])
          await clients.sns.send(
            new SubscribeCommand({ TopicArn: arn, Protocol: sub.Protocol, Endpoint: sub.Endpoint }),
          );
        return { type: 'AWS::SNS::Topic', ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      },

      'AWS::SQS::Queue': async (id, props) => {
        const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
        const name = (props.QueueName as string | undefined) ?? `${physicalName(id)}${fifo ? '.fifo' : ''}`;
        const attributes = stringAttributes(
          pick(props, [
            'ContentBasedDeduplication',
            'DeduplicationScope',
            'DelaySeconds',
            'FifoQueue',
            'FifoThroughputLimit',
            'KmsDataKeyReusePeriodSeconds',
            'KmsMasterKeyId',
            'MaximumMessageSize',
            'MessageRetentionPeriod',
            'ReceiveMessageWaitTimeSeconds',
            'RedriveAllowPolicy',
            'RedrivePolicy',
            'SqsManagedSseEnabled',
            'VisibilityTimeout',
          ]),
        );
        const queue = await clients.sqs.send(
          new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
        );
        const url = queue.QueueUrl ?? '';
        const got = await clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
        );
        const arn = got.Attributes?.QueueArn ?? '';
        return {
          type: 'AWS::SQS::Queue',
          ref: url,
          attributes: { Arn: arn, QueueName: name, QueueUrl: url },
        };
      },

      'AWS::SQS::QueuePolicy': async (id, props) => {
        for (const url of props.Queues as string[])
          await clients.sqs.send(
            new SetQueueAttributesCommand({
              QueueUrl: url,
              Attributes: { Policy: JSON.stringify(props.PolicyDocument) },
            }),
          );
        return { type: 'AWS::SQS::QueuePolicy', ref: physicalName(id), attributes: {} };
      },

      'AWS::SNS::Subscription': async (_id, props) => {
        const attributes = stringAttributes(
          pick(props, [
            'DeliveryPolicy',
            'FilterPolicy',
            'FilterPolicyScope',
            'RawMessageDelivery',
            'RedrivePolicy',
          ]),
        );
        const sub = await clients.sns.send(
          new SubscribeCommand({
            TopicArn: props.TopicArn as string,
            Protocol: props.Protocol as string,
            Endpoint: props.Endpoint as string,
            Attributes: attributes,
            ReturnSubscriptionArn: true,
          }),
        );
        const arn = sub.SubscriptionArn ?? '';
        return { type: 'AWS::SNS::Subscription', ref: arn, attributes: { Arn: arn } };
      },

      'AWS::SecretsManager::Secret': async (id, props) => {
        const name = (props.Name as string | undefined) ?? physicalName(id);
        let value = options.secretValues?.[id] ?? (props.SecretString as string | undefined);
        const generate = props.GenerateSecretString as Props | undefined;
        if (value === undefined && generate) {
          const random = await clients.secrets.send(
            new GetRandomPasswordCommand(
              pick(generate, [
                'ExcludeCharacters',
                'ExcludeLowercase',
                'ExcludeNumbers',
                'ExcludePunctuation',
                'ExcludeUppercase',
                'IncludeSpace',
                'PasswordLength',
                'RequireEachIncludedType',
              ]),
            ),
          );
          value = random.RandomPassword ?? '';
          if (
            typeof generate.SecretStringTemplate === 'string' &&
            typeof generate.GenerateStringKey === 'string'
          )
            value = JSON.stringify({
              ...JSON.parse(generate.SecretStringTemplate),
              [generate.GenerateStringKey]: value,
            });
        }
        // Neither a value nor a generator: CloudFormation creates the secret without a value, and so does this.
        const secret = await clients.secrets.send(
          new CreateSecretCommand({
            Name: name,
            Description: props.Description as string | undefined,
            KmsKeyId: props.KmsKeyId as string | undefined,
            ...(value === undefined ? {} : { SecretString: value }),
          }),
        );
        const arn = secret.ARN ?? '';
        return { type: 'AWS::SecretsManager::Secret', ref: arn, attributes: { Id: arn, Name: name } };
      },
    };

  const skipped: Record<string, string> = {};
  const wanted: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (!creators[resource.Type]) skipped[id] = resource.Type;
    else if (resource.Condition === undefined || evaluator.condition(resource.Condition)) wanted.push(id);
    else skipped[id] = `${resource.Type} (condition ${resource.Condition} is false)`;
  }
  for (const id of dependencyOrder(template, wanted)) {
    const resource = template.Resources[id] as TemplateResource;
    const properties = (evaluator.evaluate(resource.Properties ?? {}) ?? {}) as Props;
    const create = creators[resource.Type] as (
      id: string,
      props: Props,
    ) => Promise<Omit<CreatedResource, 'properties'>>;
    created[id] = { ...(await create(id, properties)), properties };
  }
  for (const client of Object.values(clients)) client.destroy();

  // The contract's roles, found by what the template says of each resource rather than by name.
  const one = (what: string, ids: string[]) => {
    if (ids.length !== 1) throw new Error(`template.yaml: expected one ${what}, found ${ids.length}`);
    return ids[0] as string;
  };
  const get = (id: string) => created[id] as CreatedResource;
  const ofType = (type: string) => Object.keys(created).filter((id) => created[id]?.type === type);
  const tableId = one('DynamoDB table', ofType('AWS::DynamoDB::Table'));
  const topicId = one('SNS topic', ofType('AWS::SNS::Topic'));
  const subscriptionId = one('SNS subscription', ofType('AWS::SNS::Subscription'));
  const queueArn = get(subscriptionId).properties.Endpoint as string;
  const queueId = one(
    'queue the topic delivers to',
    ofType('AWS::SQS::Queue').filter((id) => created[id]?.attributes.Arn === queueArn),
  );
  const redrive = get(queueId).properties.RedrivePolicy as {
    deadLetterTargetArn: string;
    maxReceiveCount: string | number;
  };
  const dlqId = one(
    'dead-letter queue',
    ofType('AWS::SQS::Queue').filter((id) => created[id]?.attributes.Arn === redrive.deadLetterTargetArn),
  );
  const secrets = Object.fromEntries(
    ofType('AWS::SecretsManager::Secret').map((id) => [
      id,
      { name: get(id).attributes.Name as string, arn: get(id).ref },
    ]),
  );
  const stack = {
    stackName,
    tableName: get(tableId).ref,
    topicArn: get(topicId).ref,
    queueUrl: get(queueId).ref,
    queueArn,
    deadLetterQueueUrl: get(dlqId).ref,
    deadLetterQueueArn: get(dlqId).attributes.Arn as string,
    subscriptionArn: get(subscriptionId).ref,
    maxReceiveCount: Number(redrive.maxReceiveCount),
    secrets,
    resources: created,
    skipped,
  };
  return {
    ...stack,
    env: {
      STATUS_TABLE: stack.tableName,
      TOPIC_ARN: stack.topicArn,
      QUEUE_URL: stack.queueUrl,
      DEAD_LETTER_QUEUE_URL: stack.deadLetterQueueUrl,
      MAX_RECEIVE_COUNT: String(stack.maxReceiveCount),
      ...(parameters.GitHubTokenSecretName ? { GITHUB_TOKEN_SECRET: parameters.GitHubTokenSecretName } : {}),
      ...(parameters.GitHubWebhookSecretName
        ? { GITHUB_WEBHOOK_SECRET_NAME: parameters.GitHubWebhookSecretName }
        : {}),
      ...(parameters.PipelinePrincipalArn ? { PIPELINE_PRINCIPAL_ARN: parameters.PipelinePrincipalArn } : {}),
    },
  };
}

/** Resources ordered so that each comes after every resource it refers to or depends on. */
function dependencyOrder(template: Template, ids: string[]): string[] {
  const wanted = new Set(ids);
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new Error(`template.yaml: circular reference ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    const resource = template.Resources[id] as TemplateResource;
    const explicit = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const dep of new Set([...explicit, ...references(resource.Properties)])) {
      if (!(dep in template.Resources)) continue; // a parameter or a pseudo parameter
      if (!wanted.has(dep))
        throw new Error(`template.yaml: ${id} refers to ${dep}, which this helper does not create`);
      visit(dep, [...path, id]);
    }
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id, []);
  return order;
}

/** Logical ids a value refers to through Ref, GetAtt and Sub. */
function references(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (typeof value !== 'object' || value === null) return [];
  const out: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'Ref' && typeof inner === 'string') out.push(inner);
    else if (key === 'Fn::GetAtt') out.push(String((inner as string[])[0]));
    else if (key === 'Fn::Sub') {
      const text = Array.isArray(inner) ? inner[0] : inner;
      for (const m of String(text).matchAll(/\$\{([^!}][^}.]*)(?:\.[^}]*)?\}/g)) out.push(m[1] as string);
      if (Array.isArray(inner)) out.push(...references(inner[1]));
    } else out.push(...references(inner));
  }
  return out;
}

/** The template's parameters: the given values over the defaults, as strings (as CloudFormation passes them). */
function parameterValues(
  template: Template,
  given: Record<string, string | number> = {},
): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [name, spec] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? spec.Default;
    if (value !== undefined) parameters[name] = String(value);
  }
  return parameters;
}

/**
 * Evaluates template values that depend on parameters, conditions and pseudo parameters only (no
 * resource), e.g. a method's `AuthorizationType: !If [UseApiKey, NONE, AWS_IAM]`; used by the test
 * gateway (test/support/api-gateway.ts) to read the routes as a stack with those parameters has them.
 */
export function parameterEvaluator(
  template: Template,
  given: Record<string, string | number>,
  region: string,
): { condition(name: string): boolean; evaluate(value: unknown): unknown } {
  return new Evaluator(template, parameterValues(template, given), {}, region, 'test-gateway');
}

const NO_VALUE = Symbol('AWS::NoValue');

/** CloudFormation's intrinsic functions over parameters, conditions and the resources created so far. */
class Evaluator {
  constructor(
    private readonly template: Template,
    private readonly parameters: Record<string, string>,
    private readonly created: Record<string, CreatedResource>,
    private readonly region: string,
    private readonly stackName: string,
  ) {}

  condition(name: string): boolean {
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new Error(`template.yaml: no condition ${name}`);
    return this.evaluate(expression) === true;
  }

  evaluate(value: Json): Json {
    const result = this.value(value);
    return result === NO_VALUE ? undefined : result;
  }

  private value(value: Json): Json | typeof NO_VALUE {
    if (Array.isArray(value)) return value.map((v) => this.value(v)).filter((v) => v !== NO_VALUE);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (
      entries.length === 1 &&
      first &&
      (first[0] === 'Ref' || first[0] === 'Condition' || first[0].startsWith('Fn::'))
    )
      return this.intrinsic(first[0], first[1]);
    const out: Props = {};
    for (const [key, inner] of entries) {
      const v = this.value(inner);
      if (v !== NO_VALUE) out[key] = v;
    }
    return out;
  }

  private intrinsic(name: string, arg: Json): Json | typeof NO_VALUE {
    const list = () => this.value(arg) as Json[];
    switch (name) {
      case 'Ref':
        return this.ref(arg as string);
      case 'Condition':
        return this.condition(arg as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = (Array.isArray(arg) ? arg : splitAtt(String(arg))) as string[];
        const value = this.created[id as string]?.attributes[attribute as string];
        if (value === undefined) throw new Error(`template.yaml: cannot resolve !GetAtt ${id}.${attribute}`);
        return value;
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg)
          ? [arg[0] as string, this.value(arg[1]) as Props]
          : [arg as string, {}];
        return text.replace(/\$\{(!?)([^}]+)\}/g, (_, literal: string, key: string) => {
          if (literal) return `\${${key}}`;
          if (key in vars) return String(vars[key]);
          const dot = key.indexOf('.');
          if (dot > 0 && !(key in this.parameters))
            return String(this.intrinsic('Fn::GetAtt', [key.slice(0, dot), key.slice(dot + 1)]));
          return String(this.ref(key));
        });
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, Json, Json];
        return this.value(this.condition(condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = list();
        return String(a) === String(b);
      }
      case 'Fn::Not':
        return !(list()[0] as boolean);
      case 'Fn::And':
        return list().every((v) => v === true);
      case 'Fn::Or':
        return list().some((v) => v === true);
      case 'Fn::Join': {
        const [separator, items] = list() as [string, Json[]];
        return items.map(String).join(separator);
      }
      case 'Fn::Split': {
        const [separator, text] = list() as [string, string];
        return text.split(separator);
      }
      case 'Fn::Select': {
        const [index, items] = list() as [string | number, Json[]];
        return items[Number(index)];
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = list() as string[];
        return this.template.Mappings?.[map as string]?.[top as string]?.[second as string];
      }
      case 'Fn::Base64':
        return Buffer.from(String(this.value(arg))).toString('base64');
      case 'Fn::ToJsonString':
        return JSON.stringify(this.value(arg));
      default:
        throw new Error(`template.yaml: ${name} is not supported by test/support/aws-stack.ts`);
    }
  }

  private ref(name: string): Json | typeof NO_VALUE {
    if (name in this.parameters) return this.parameters[name];
    const created = this.created[name];
    if (created) return created.ref;
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return ACCOUNT_ID;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      default:
        throw new Error(`template.yaml: cannot resolve !Ref ${name}`);
    }
  }
}

function pick(props: Props, keys: string[]): Props {
  const out: Props = {};
  for (const key of keys) if (props[key] !== undefined) out[key] = props[key];
  return out;
}

/** SQS and SNS attributes are strings; the JSON-valued ones (RedrivePolicy, FilterPolicy...) as JSON. */
function stringAttributes(props: Props): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(props))
    out[key] = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  return out;
}
