import type { Command } from 'commander';
import { type InferResponseType, parseResponse } from 'hono/client';
import { ENVIRONMENT_ACTIONS, SERVICE_ACTIONS } from '../domain/access.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { table, writeJson } from './format.js';

type WhoAmI = InferResponseType<ApiClient['api']['whoami']['$get'], 200>;

/** `whoami`: who the server takes you for, your role and scope, and what you may do per environment. */
export function registerWhoami(program: Command): void {
  clientOptions(
    program
      .command('whoami')
      .description('who the server takes you for, your role, and what you may do in each environment'),
  )
    .option('--json', "the server's answer: {id, role, environments, via, capabilities}")
    .action(async (options: ClientOptions & { json?: boolean }) => {
      const me = await parseResponse(new ApiClient(options).api.whoami.$get());
      if (options.json) writeJson(me);
      else process.stdout.write(describeMe(me));
    });
}

function describeMe(me: WhoAmI): string {
  const where = me.environments === null ? 'every environment' : me.environments.join(', ');
  const service = SERVICE_ACTIONS.filter((a) => me.capabilities.service[a]);
  const lines = [
    `${me.id}: ${me.role} in ${where} (via ${me.via})`,
    `may: ${service.length > 0 ? service.join(', ') : 'nothing service-wide'}`,
  ];
  const environments = Object.entries(me.capabilities.environments);
  if (environments.length === 0) return `${lines.join('\n')}\n`;
  const rows = environments.map(([name, actions]) => [
    name,
    ...ENVIRONMENT_ACTIONS.map((a) => (actions[a] ? 'yes' : '-')),
  ]);
  return `${lines.join('\n')}\n\n${table(['ENVIRONMENT', ...ENVIRONMENT_ACTIONS.map((a) => a.toUpperCase())], rows)}(merge, close: a request someone else asked for; whoever asked may close their own)\n`;
}
