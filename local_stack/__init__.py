"""The whole system on a laptop: one local AWS endpoint whose Lambda Invoke
requests run the Chalice apps' `@app.lambda_function` handlers in worker
processes (the local Lambda runtime) and whose other AWS requests go to moto,
plus `chalice local` for each app's routes.

`python -m local_stack` (`make run`) starts it all; `local_stack.testing`
starts it for tests. Modules, one job each:

- `wire`: the Lambda Invoke wire protocol (parsing, answers, error shapes);
- `apps`: each app's stage configuration and the functions it declares;
- `discovery`: which functions an app declares, learnt in a process;
- `sandbox`: one sandbox process running AWS's runtime client (awslambdaric);
- `runtime_api`: the Lambda Runtime API a sandbox's runtime client talks to;
- `lambda_logs`: START/END/REPORT and the tail, Lambda's log text;
- `pool`: a function's sandboxes: scale-out, concurrency limits, reload;
- `events`: `Event` invocations, queued and retried;
- `runtime`: an invocation from request to answer (DryRun, Event, Tail);
- `endpoint`: the one HTTP endpoint, Lambda to the runtime, the rest to moto;
- `local_aws`: endpoint + runtime put together on a port;
- `options`: every option and its default (the command line is derived);
- `provision`: what a deploy would create (table, topic, SSM parameter);
- `children`: `chalice local` processes, their output and their end;
- `stack`: everything above started and stopped in order.
"""

from project.model import LOCAL_ACCOUNT_ID as ACCOUNT_ID
from project.model import LOCAL_REGION as REGION
from project.model import function_arn

__all__ = ['ACCOUNT_ID', 'REGION', 'function_arn']
