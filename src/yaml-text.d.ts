/** YAML files imported as text: esbuild's `.yaml=text` loader in the Lambda bundles, a plugin in vitest. */
declare module '*.yaml' {
  const text: string;
  export default text;
}
