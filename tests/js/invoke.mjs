// One Lambda Invoke through the AWS SDK for JavaScript v3, for the Python
// tests: `node invoke.mjs` reads {endpoint, input} as JSON on stdin; prints
// what the SDK returned or threw, as JSON.
import { readFileSync } from 'node:fs';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';

const { endpoint, input } = JSON.parse(readFileSync(0, 'utf8'));
const client = new LambdaClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 1,
});
if (input.Payload !== undefined) input.Payload = Buffer.from(input.Payload);
try {
  const out = await client.send(new InvokeCommand(input));
  console.log(JSON.stringify({
    StatusCode: out.StatusCode,
    FunctionError: out.FunctionError ?? null,
    ExecutedVersion: out.ExecutedVersion ?? null,
    LogResult: out.LogResult ?? null,
    Payload: out.Payload ? Buffer.from(out.Payload).toString('utf8') : null,
  }));
} catch (error) {
  console.log(JSON.stringify({
    name: error.name,
    message: error.message,
    httpStatusCode: error.$metadata?.httpStatusCode ?? null,
    Reason: error.Reason ?? null,
    Type: error.Type ?? null,
  }));
}
