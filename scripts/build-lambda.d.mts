// Types of scripts/build-lambda.mjs, for the tests that build a function with it.
import type { BuildOptions, Metafile } from 'esbuild';

export const ROOT: string;
export const OUT_DIR: string;

/** A function of template.yaml: its directory under dist/lambda, its entry, its logical id. */
export interface LambdaFunction {
  name: string;
  entry: string;
  logicalId: string;
}

export interface BuiltFunction extends LambdaFunction {
  dir: string;
  /** The handler module, `<entry>.mjs`. */
  outfile: string;
  /** Every code file: the handler module and its chunks. */
  files: string[];
  bytes: number;
  entryBytes: number;
  mapBytes: number;
  chunks: number;
  ms: number;
  metafile: Metafile;
}

export const FUNCTIONS: LambdaFunction[];
export const OPTIONS: BuildOptions;
export const PLUGINS: NonNullable<BuildOptions['plugins']>;
export function functionNamed(name: string): LambdaFunction;
export function buildFunction(fn: LambdaFunction, dir: string): Promise<BuiltFunction>;
export function buildLambdas(options?: { only?: string[]; metafile?: boolean }): Promise<BuiltFunction[]>;
