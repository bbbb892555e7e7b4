"""Each `@app.on_sns_message` function subscribed to its topic, as a deploy
subscribes it (Chalice: a topic given by name is this account's and region's;
the topic must exist). Run after provisioning, so the rides topic exists."""
import json
import subprocess
import sys
from typing import Callable, Iterable, List, Tuple

from botocore.exceptions import ClientError

from local_stack import ACCOUNT_ID, REGION, console, provision
from local_stack.apps import AppDirectory
from local_stack.pool import PROJECT_ROOT
from local_stack.runtime import base_environment

READ_TIMEOUT_SECONDS = 30


def subscribe_declared(apps: Iterable[AppDirectory], endpoint_url: str,
                       log: Callable[[str], None]) -> List[Tuple[str, str]]:
    """Subscribe every SNS handler of `apps`; [(function ARN, topic ARN)]."""
    log = console.escaped(log)
    made = []
    for app in apps:
        if 'on_sns_message' not in (app.app_dir / 'app.py').read_text(errors='replace'):
            continue  # importing an app costs a process; only those that may subscribe
        for name, topic in _declared_topics(app, endpoint_url, log).items():
            function = app.function(name).arn
            topic_arn = topic if topic.startswith('arn:') else \
                f'arn:aws:sns:{REGION}:{ACCOUNT_ID}:{topic}'
            try:
                _subscribe(endpoint_url, topic_arn, function)
            except ClientError as error:
                log(f'sns    {app.deployed_name(name)} not subscribed to {topic}: '
                    f'{error.response["Error"].get("Message")}')
                continue
            log(f'sns    {app.deployed_name(name)} subscribed to {topic_arn.rsplit(":", 1)[1]}')
            made.append((function, topic_arn))
    return made


def _subscribe(endpoint_url, topic_arn, function_arn):
    sns = provision.aws_client('sns', endpoint_url)
    sns.get_topic_attributes(TopicArn=topic_arn)  # moto would subscribe to a missing topic
    existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn)['Subscriptions']
    if not any(s['Protocol'] == 'lambda' and s['Endpoint'] == function_arn for s in existing):
        sns.subscribe(TopicArn=topic_arn, Protocol='lambda', Endpoint=function_arn)


def _declared_topics(app, endpoint_url, log):
    """The app's SNS handlers and topics, read by importing it in a process
    of its own with its stage environment (as the runtime reads functions)."""
    env = {**base_environment(endpoint_url), **app.stage_environment(),
           'PYTHONPATH': PROJECT_ROOT}
    done = subprocess.run([sys.executable, '-m', 'local_stack.declared', str(app.app_dir)],
                          env=env, cwd=str(app.app_dir), capture_output=True, text=True,
                          timeout=READ_TIMEOUT_SECONDS, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ['no output'])[-1]
        log(f'sns    cannot read the SNS handlers of {app.app_dir.name}: {last}')
        return {}
    return json.loads(lines[-1])
