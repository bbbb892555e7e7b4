"""Each `@app.on_sns_message` function subscribed to its topic, as a deploy
subscribes it (Chalice: a topic given by name is this account's and region's;
the topic must exist). Run after provisioning, so the rides topic exists.

Which handlers an app has, and their topics, is learnt by importing the app
in a process of its own with its stage environment
(`python -m local_stack.sns_subscriptions APP_DIR`), as the runtime learns
its functions; only apps whose `app.py` mentions `on_sns_message` are read.
"""
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from botocore.exceptions import ClientError

from local_stack import ACCOUNT_ID, REGION, console, provision
from local_stack.apps import AppDirectory
from local_stack.runtime import base_environment

PROJECT_ROOT = str(Path(__file__).resolve().parents[1])
READ_TIMEOUT_SECONDS = 30


def subscribe_declared(apps: Iterable[AppDirectory], endpoint_url: str,
                       log: Callable[[str], None]) -> list[tuple[str, str]]:
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


def sns_topics(app_module: ModuleType) -> dict[str, str]:
    """{name in the app: topic} of every `@app.on_sns_message`, the topic as
    written (a name, or an ARN)."""
    from chalice.app import SNSEventConfig
    return {source.name: source.topic for source in app_module.app.event_sources
            if isinstance(source, SNSEventConfig)}


def _subscribe(endpoint_url, topic_arn, function_arn):
    sns = provision.aws_client('sns', endpoint_url)
    sns.get_topic_attributes(TopicArn=topic_arn)  # moto would subscribe to a missing topic
    existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn)['Subscriptions']
    if not any(s['Protocol'] == 'lambda' and s['Endpoint'] == function_arn for s in existing):
        sns.subscribe(TopicArn=topic_arn, Protocol='lambda', Endpoint=function_arn)


def _declared_topics(app, endpoint_url, log):
    env = {**base_environment(endpoint_url), **app.stage_environment(),
           'PYTHONPATH': PROJECT_ROOT}
    done = subprocess.run([sys.executable, '-m', 'local_stack.sns_subscriptions',
                           str(app.app_dir)],
                          env=env, cwd=str(app.app_dir), capture_output=True, text=True,
                          timeout=READ_TIMEOUT_SECONDS, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ['no output'])[-1]
        log(f'sns    cannot read the SNS handlers of {app.app_dir.name}: {last}')
        return {}
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    """The app's SNS topics as one JSON line, last on stdout (the app may
    print while it is imported)."""
    app_dir = os.path.abspath((argv or sys.argv[1:])[0])
    sys.path[:0] = [app_dir, os.path.join(app_dir, 'vendor')]
    os.chdir(app_dir)
    print(json.dumps(sns_topics(importlib.import_module('app'))))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
