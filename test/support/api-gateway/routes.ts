/**
 * The test gateway's route table, read from template.yaml's REST API: each AWS::ApiGateway::Method with
 * its resource path (PathPart chained up to the root), HTTP method, AuthorizationType, ApiKeyRequired and
 * the function its AWS_PROXY integration invokes, evaluated for the stack's parameters (AuthMode).
 */
import { parameterEvaluator, readTemplate, type Template } from '../aws-stack.js';

export interface Route {
  /** The method's logical id, e.g. ProvisionPostMethod. */
  id: string;
  /** The resource path as API Gateway names it, e.g. /databases/{db_name}. */
  resourcePath: string;
  httpMethod: string;
  authorizationType: 'NONE' | 'AWS_IAM';
  apiKeyRequired: boolean;
  /** Logical id of the function the integration calls. */
  functionId: string;
}

type Props = Record<string, unknown>;

const ROOT = Symbol('root');

/** `!GetAtt RestApi.RootResourceId` is the root; `!Ref XResource` is that resource. */
function parentOf(value: unknown): string | typeof ROOT {
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const att = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(att) && att[1] === 'RootResourceId') return ROOT;
  throw new Error(
    `template.yaml: a resource's parent is neither !Ref nor the root: ${JSON.stringify(value)}`,
  );
}

function resourcePath(template: Template, id: string | typeof ROOT): string {
  if (id === ROOT) return '';
  const resource = template.Resources[id];
  if (resource?.Type !== 'AWS::ApiGateway::Resource')
    throw new Error(`template.yaml: ${String(id)} is not an AWS::ApiGateway::Resource`);
  const props = resource.Properties as Props;
  return `${resourcePath(template, parentOf(props.ParentId))}/${props.PathPart as string}`;
}

/** `...functions/${ApiFunction.Arn}/invocations` names ApiFunction. */
function integratedFunction(id: string, integration: Props | undefined): string {
  const uri = integration?.Uri as { 'Fn::Sub'?: unknown } | undefined;
  const text = Array.isArray(uri?.['Fn::Sub']) ? uri['Fn::Sub'][0] : uri?.['Fn::Sub'];
  const match = typeof text === 'string' ? /functions\/\$\{(\w+)\.Arn\}\/invocations/.exec(text) : null;
  if (integration?.Type !== 'AWS_PROXY' || !match?.[1])
    throw new Error(`template.yaml: ${id} is not a Lambda proxy integration this gateway knows`);
  return match[1];
}

/** Every method the stack deploys with these parameters (a method whose Condition is false is left out). */
export function readRoutes(
  parameters: Record<string, string>,
  region: string,
  template: Template = readTemplate(),
): Route[] {
  const evaluator = parameterEvaluator(template, parameters, region);
  const routes: Route[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue;
    if (resource.Condition !== undefined && !evaluator.condition(resource.Condition)) continue;
    const props = resource.Properties as Props;
    const authorizationType = evaluator.evaluate(props.AuthorizationType ?? 'NONE');
    if (authorizationType !== 'NONE' && authorizationType !== 'AWS_IAM')
      throw new Error(
        `template.yaml: ${id}: AuthorizationType ${String(authorizationType)} is not supported`,
      );
    routes.push({
      id,
      resourcePath: resourcePath(template, parentOf(props.ResourceId)) || '/',
      httpMethod: String(props.HttpMethod),
      authorizationType,
      apiKeyRequired: evaluator.evaluate(props.ApiKeyRequired ?? false) === true,
      functionId: integratedFunction(id, props.Integration as Props | undefined),
    });
  }
  return routes;
}

/** The route a request's path and method reach, with its path parameters (decoded, as API Gateway gives them). */
export function matchRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; pathParameters: Record<string, string> | null } | undefined {
  const segments = path.split('/').filter(Boolean);
  // Literal resources win over a {param} sibling, and a {param} over a {proxy+}, as in API Gateway.
  let best: { route: Route; pathParameters: Record<string, string> | null; score: number } | undefined;
  for (const route of routes) {
    if (route.httpMethod !== method && route.httpMethod !== 'ANY') continue;
    const matched = matchPath(route.resourcePath, segments);
    if (matched && (!best || matched.score > best.score))
      best = { route, pathParameters: matched.pathParameters, score: matched.score };
  }
  return best && { route: best.route, pathParameters: best.pathParameters };
}

function matchPath(
  resourcePath: string,
  segments: string[],
): { pathParameters: Record<string, string> | null; score: number } | undefined {
  const parts = resourcePath.split('/').filter(Boolean);
  const parameters: Record<string, string> = {};
  let score = 0;
  for (const [index, part] of parts.entries()) {
    const greedy = /^\{(\w+)\+\}$/.exec(part);
    if (greedy) {
      if (index !== parts.length - 1 || segments.length <= index) return undefined;
      parameters[greedy[1] as string] = segments.slice(index).map(decodeURIComponent).join('/');
      return { pathParameters: parameters, score: score * 4 + 1 };
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    const param = /^\{(\w+)\}$/.exec(part);
    if (param) {
      parameters[param[1] as string] = decodeURIComponent(segment);
      score = score * 4 + 2;
    } else if (part === segment) score = score * 4 + 3;
    else return undefined;
  }
  if (segments.length !== parts.length) return undefined;
  return { pathParameters: Object.keys(parameters).length > 0 ? parameters : null, score };
}
