import type { Command } from 'commander';
import { resolveRequest } from '../domain/resolve.js';
import { renderTerraform } from '../render/terraform.js';
import { loadPolicyFile } from '../runtime/policy-file.js';
import { invalidInput } from './exit-codes.js';
import { type RequestOptions, requestFromOptions, requestOptions } from './request-options.js';

interface RenderOptions extends RequestOptions {
  json?: string;
  config?: string;
  requestId: string;
  path?: boolean;
}

/**
 * `render`: print the Terraform file a request would produce for the policy's layout, or each problem with
 * it; `--path` prints where that file goes in the repository instead (the layout decides, src/domain/layout.ts).
 */
export function registerRender(program: Command): void {
  const command = program
    .command('render')
    .description('print the Terraform file for a request, without queueing anything')
    .option('--json <request>', 'the whole request as JSON instead of field options')
    .option(
      '--config <file>',
      'policy file (default: $RDS_PROVISIONER_CONFIG or the packaged config/policy.yaml)',
    )
    .option('--request-id <id>', 'request id written into the header and tags', 'preview')
    .option(
      '--path',
      "print where the file goes in the repository (the policy's git.layout decides) instead of the file",
    );
  requestOptions(command).action((options: RenderOptions) => {
    const input = options.json !== undefined ? parseJsonOption(options) : requestFromOptions(options);
    const { policy } = loadPolicyFile(options.config);
    const result = resolveRequest(input, policy, { requestId: options.requestId });
    if (!result.ok) throw invalidInput(result.issues);
    const { spec } = result.value;
    process.stdout.write(options.path ? `${spec.location.file}\n` : renderTerraform(spec));
  });
}

function parseJsonOption(options: RenderOptions): unknown {
  if (Object.keys(requestFromOptions(options)).length > 0)
    throw invalidInput([{ path: '--json', message: 'give either --json or field options, not both' }]);
  try {
    return JSON.parse(options.json as string);
  } catch {
    throw invalidInput([{ path: '--json', message: 'is not valid JSON' }]);
  }
}
