/**
 * The built page's files imported as text (`with { type: 'text' }`, esbuild) by the web function,
 * src/runtime/lambda/web-handler.ts: dist/web's index.html, app.js and app.css.
 */
declare module '*/dist/web/index.html' {
  const text: string;
  export default text;
}
declare module '*/dist/web/app.js' {
  const text: string;
  export default text;
}
declare module '*/dist/web/app.css' {
  const text: string;
  export default text;
}
