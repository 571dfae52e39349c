import { describe, expect, it } from 'vitest';
import { readRoutes } from '../support/api-gateway/routes.js';
import { parameterEvaluator, readTemplate } from '../support/aws-stack.js';

/**
 * template.yaml's web page on AWS: the web function (src/runtime/lambda/web.ts) behind GET / and GET
 * /assets/{file} of the REST API without authentication in either AuthMode, and nothing else; its own
 * role (its log group and X-Ray only), log group and invoke permission, like the other functions.
 * test/integration/template.test.ts runs cfn-lint, sam build and checkov over the whole template.
 */

const template = readTemplate();
const outputs = (template as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
const resources = template.Resources;
const props = (id: string) => (resources[id]?.Properties ?? {}) as Record<string, unknown>;
const ref = (name: string) => ({ Ref: name });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

describe('template.yaml: the web page', () => {
  it.each(['iam', 'api_key'])(
    'AuthMode=%s: GET / and GET /assets/{file} reach the web function without authentication, and nothing else does',
    (authMode) => {
      const routes = readRoutes({ GitHubRepository: 'acme/infra', AuthMode: authMode }, 'us-east-1');
      const toWeb = routes.filter((r) => r.functionId === 'WebFunction');
      expect(
        toWeb.map(({ id, ...route }) => route).sort((a, b) => a.resourcePath.localeCompare(b.resourcePath)),
      ).toEqual([
        {
          resourcePath: '/',
          httpMethod: 'GET',
          authorizationType: 'NONE',
          apiKeyRequired: false,
          functionId: 'WebFunction',
        },
        {
          resourcePath: '/assets/{file}',
          httpMethod: 'GET',
          authorizationType: 'NONE',
          apiKeyRequired: false,
          functionId: 'WebFunction',
        },
      ]);
      // The API's own routes stay with the API function.
      expect(
        routes.filter((r) => r.functionId !== 'WebFunction').every((r) => r.functionId === 'ApiFunction'),
      ).toBe(true);
    },
  );

  it('deploys the page routes with the others, in either auth mode', () => {
    const methods = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::ApiGateway::Method')
      .map(([id]) => id);
    for (const [id, deployment] of Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::ApiGateway::Deployment',
    )) {
      expect([deployment.DependsOn].flat().sort(), id).toEqual(methods.sort());
    }
  });

  it('runs the web function with its own role (its log group and X-Ray, nothing else), log group and permission', () => {
    const fn = props('WebFunction');
    expect(resources.WebFunction?.Type).toBe('AWS::Serverless::Function');
    expect(fn).toMatchObject({
      Handler: 'web.handler',
      Role: getAtt('WebRole', 'Arn'),
      LoggingConfig: { LogGroup: ref('WebLogGroup') },
    });
    expect(props('WebLogGroup')).toMatchObject({ RetentionInDays: ref('LogRetentionDays') });
    const statements = (
      props('WebRole').Policies as {
        PolicyDocument: { Statement: { Sid: string; Action: unknown; Resource: unknown }[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
    expect(statements).toEqual([
      expect.objectContaining({
        Sid: 'Logs',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: getAtt('WebLogGroup', 'Arn'),
      }),
      expect.objectContaining({
        Sid: 'XRayNoResourceLevelPermissions',
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        Resource: '*',
      }),
    ]);
    expect(props('WebRole').ManagedPolicyArns).toBeUndefined();
    expect(props('WebInvokePermission')).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt('WebFunction', 'Arn'),
      Principal: 'apigateway.amazonaws.com',
      SourceAccount: ref('AWS::AccountId'),
    });
  });

  it('reserves concurrency for it only when ReserveConcurrency is true', () => {
    const reserved = (value: string) =>
      parameterEvaluator(
        template,
        { GitHubRepository: 'acme/infra', ReserveConcurrency: value },
        'us-east-1',
      ).evaluate(props('WebFunction').ReservedConcurrentExecutions);
    expect(reserved('false')).toBeUndefined();
    expect(Number(reserved('true'))).toBeGreaterThan(0);
  });

  it('outputs the page’s address: the stage’s root, with its slash', () => {
    expect(outputs.WebPageUrl?.Value).toEqual(outputs.ApiUrl?.Value);
    expect(JSON.stringify(outputs.WebPageUrl?.Value)).toMatch(/\/\$\{ApiStage\}\/"/);
  });
});
