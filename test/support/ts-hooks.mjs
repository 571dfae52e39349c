/**
 * Node module hooks that run the project's TypeScript in a child process without a build:
 * `node --import ./test/support/ts-register.mjs script.ts`. A relative or absolute `x.js` import resolves to
 * `./x.ts` when only that exists; `.ts` files are transpiled (types erased) by the TypeScript compiler.
 */
import { readFile } from 'node:fs/promises';
import ts from 'typescript';

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const isPath = /^(\.|\/|file:)/.test(specifier);
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && isPath && specifier.endsWith('.js'))
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    throw error;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
