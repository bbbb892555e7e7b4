"""Bare handlers shaped like the workshop's original ones: no framework, plain boto3, clients made
at import time, the same AWS calls as the project's handlers. They are the
yardstick for what Chalice and this project's code add."""
