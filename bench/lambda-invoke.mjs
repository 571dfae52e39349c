// A cold Lambda container in one process, for section 5's cold request: imports a handler module and
// invokes it with the events in the JSON file named by argv[3], one after another, as the Lambda service
// would send them to one container. Prints `ANSWERED` as soon as the first answer is there, and at the
// end one line `RESULT {...}` (the functions log to stdout as well): the import's time, and each
// invocation's own time and status.
import { readFileSync, writeSync } from 'node:fs';

const [file, eventsFile] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventsFile, 'utf8'));

const context = (functionName) => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId: crypto.randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 60_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});

const importStarted = performance.now();
const { handler } = await import(file);
const imported = performance.now();
const calls = [];
for (const event of events) {
  const started = performance.now();
  const answer = await handler(event, context('bench'));
  const answered = performance.now();
  calls.push({ ms: answered - started, answeredAt: answered, status: answer?.statusCode });
  // The parent times spawn -> this line: a cold start as the caller of the first request waits for it.
  if (calls.length === 1) writeSync(1, 'ANSWERED\n');
}
console.log(`RESULT ${JSON.stringify({ importMs: imported - importStarted, importedAt: imported, calls })}`);
